import Dispatch
import Foundation

/// How a whole payload is spread over the machine: STREAM chunks are independent, so a batch of
/// them is split among `workers` threads while the calling thread reads the next batch and a
/// writer thread writes the previous one, in order.
public struct STREAMParallelism: Sendable, Equatable {
    /// Threads that seal or open chunks at once; 1 runs everything on the calling thread.
    public var workers: Int
    /// Chunks per hand-off. 16 (1 MiB) keeps waking a thread (a few µs) under 1% of the work it
    /// gets (~0.3 ms of ChaCha20-Poly1305 per half batch), and a batch still fits in cache.
    public var batchChunks: Int

    public init(workers: Int, batchChunks: Int = 16) {
        precondition(workers >= 1 && batchChunks >= 1)
        self.workers = workers
        self.batchChunks = batchChunks
    }

    /// One worker per core this process may run on.
    public static var machine: STREAMParallelism { STREAMParallelism(workers: max(1, ProcessInfo.processInfo.activeProcessorCount)) }
    public static let serial = STREAMParallelism(workers: 1)
}

/// One batch of chunks and the buffers it lives in, reused from batch to batch (no buffer is
/// allocated per chunk). What the buffers hold is up to the caller (`STREAMPipeline`).
final class STREAMBatch {
    /// What is read: plaintext at a stride of 64 KiB + 16 (sealed in place, the tag lands in
    /// the gap, so the batch is the file's bytes) or encrypted chunks as they come.
    let input: UnsafeMutableRawBufferPointer
    /// Opening only: chunk k's plaintext at k × 64 KiB, so the batch's output is contiguous.
    let output: UnsafeMutableRawBufferPointer?
    /// Opening only: one `ChunkStatus` per chunk, each written by the worker that opened it.
    let status: UnsafeMutableBufferPointer<UInt8>
    let group = DispatchGroup()

    /// Set by the reader before the batch is submitted.
    var bytes = 0
    var chunks = 0
    var firstCounter: UInt64 = 0
    var isFinal = false
    var readError: Error?
    /// High-water marks, so only what was used is wiped at the end.
    var inputUsed = 0
    var outputUsed = 0

    init(chunks: Int, opening: Bool) {
        input = .allocate(byteCount: chunks * STREAM.encryptedChunkSize, alignment: 64)
        output = opening ? .allocate(byteCount: chunks * STREAM.chunkSize, alignment: 64) : nil
        status = .allocate(capacity: chunks)
    }

    func wipeAndDeallocate() {
        if inputUsed > 0 { input.baseAddress!.initializeMemory(as: UInt8.self, repeating: 0, count: inputUsed) }
        if let output, outputUsed > 0 { output.baseAddress!.initializeMemory(as: UInt8.self, repeating: 0, count: outputUsed) }
        input.deallocate()
        output?.deallocate()
        status.deallocate()
    }
}

/// Runs batches through three stages: the caller's thread fills them (`acquire`, then
/// `submit`), a pool of `workers` threads processes their chunks, and one writer thread emits
/// them strictly in submission order. A bounded ring of batches keeps memory flat: `acquire`
/// waits for the writer to hand one back. The first emit error in stream order stops the run:
/// nothing after it is emitted, and the reader is stopped at its next `acquire`.
///
/// A run whose first batch is also its last (a small file) never leaves the calling thread.
final class BatchPipeline {
    private let parallelism: STREAMParallelism
    private let opening: Bool
    private let process: (STREAMBatch, Range<Int>) -> Void
    private let emit: (STREAMBatch) throws -> Void
    private let writer = DispatchQueue(label: "age.stream.writer")
    private let workQueue = DispatchQueue.global(qos: .userInitiated)
    private let capacity: Int

    // Guarded by `lock`.
    private let lock = NSCondition()
    private var free: [STREAMBatch] = []
    private var all: [STREAMBatch] = []
    private var failure: Error?
    // Caller thread only.
    private var pooled = false

    private struct Stopped: Error {}

    private init(parallelism: STREAMParallelism, opening: Bool,
                 process: @escaping (STREAMBatch, Range<Int>) -> Void, emit: @escaping (STREAMBatch) throws -> Void) {
        self.parallelism = parallelism
        self.opening = opening
        self.process = process
        self.emit = emit
        // Two being filled (a read-ahead), one per worker in flight, one being written.
        capacity = parallelism.workers == 1 ? 2 : parallelism.workers + 3
    }

    /// Runs `fill` (the reading loop) on the calling thread, then waits for every submitted
    /// batch to be emitted. Throws the first emit error, else `fill`'s own error.
    static func run(_ parallelism: STREAMParallelism, opening: Bool,
                    process: @escaping (STREAMBatch, Range<Int>) -> Void,
                    emit: @escaping (STREAMBatch) throws -> Void,
                    fill: (BatchPipeline) throws -> Void) throws {
        let pipeline = BatchPipeline(parallelism: parallelism, opening: opening, process: process, emit: emit)
        var fillError: Error?
        do { try fill(pipeline) } catch { fillError = error }
        try pipeline.drain(fillError)
    }

    /// A batch to fill: a free one, a new one while the ring is not full, or the next one the
    /// writer hands back. Throws (to end `fill`) once an emit has failed.
    func acquire() throws -> STREAMBatch {
        lock.lock()
        defer { lock.unlock() }
        while true {
            if failure != nil { throw Stopped() }
            if let batch = free.popLast() { return reset(batch) }
            if all.count < capacity {
                let batch = STREAMBatch(chunks: parallelism.batchChunks, opening: opening)
                all.append(batch)
                return batch
            }
            lock.wait()
        }
    }

    /// Gives back a batch that turned out to have nothing to submit.
    func release(_ batch: STREAMBatch) {
        lock.lock()
        free.append(batch)
        lock.broadcast()
        lock.unlock()
    }

    var chunksPerBatch: Int { parallelism.batchChunks }

    /// Hands a filled batch on; it is emitted after every batch submitted before it.
    func submit(_ batch: STREAMBatch) {
        let read = min(batch.input.count, max(batch.bytes, batch.chunks * STREAM.encryptedChunkSize))
        batch.inputUsed = max(batch.inputUsed, read)
        if let output = batch.output { batch.outputUsed = max(batch.outputUsed, min(batch.chunks * STREAM.chunkSize, output.count)) }
        if parallelism.workers == 1 || (!pooled && batch.isFinal) {
            process(batch, 0..<batch.chunks)
            do { try emit(batch) } catch { fail(error) }
            release(batch)
            return
        }
        pooled = true
        let parts = min(parallelism.workers, max(batch.chunks, 1))
        for part in 0..<parts {
            let range = (batch.chunks * part / parts)..<(batch.chunks * (part + 1) / parts)
            workQueue.async(group: batch.group) { [process] in process(batch, range) }
        }
        writer.async { [self] in
            batch.group.wait()
            if !hasFailed {
                do { try emit(batch) } catch { fail(error) }
            }
            release(batch)
        }
    }

    private var hasFailed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return failure != nil
    }

    private func fail(_ error: Error) {
        lock.lock()
        if failure == nil { failure = error }
        lock.broadcast()
        lock.unlock()
    }

    private func reset(_ batch: STREAMBatch) -> STREAMBatch {
        batch.bytes = 0
        batch.chunks = 0
        batch.isFinal = false
        batch.readError = nil
        return batch
    }

    private func drain(_ fillError: Error?) throws {
        if pooled { writer.sync {} }
        lock.lock()
        let failure = self.failure
        let batches = all
        all = []
        free = []
        lock.unlock()
        for batch in batches { batch.wipeAndDeallocate() }
        if let failure { throw failure }
        if let fillError, !(fillError is Stopped) { throw fillError }
    }
}
