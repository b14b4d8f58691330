#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Locking

/// How a whole payload is spread over the machine: STREAM chunks are independent, so
/// `workers` threads each take the next batch of chunks, seal or open it, and write it in turn.
public struct STREAMParallelism: Sendable, Equatable {
    /// Threads that read, seal or open, and write batches at once; 1 runs everything on the
    /// calling thread. Each holds one batch, so this is also the pipeline's depth.
    public var workers: Int
    /// Chunks per batch. 16 (1 MiB) keeps the per-batch costs (a read, a write, a hand-over of
    /// the writing turn: a few µs) under 1% of the work (~0.35 ms of ChaCha20-Poly1305), and
    /// makes one write fill a pipe widened to 1 MiB (see the CLI's AgeFiles).
    public var batchChunks: Int

    public init(workers: Int, batchChunks: Int = 16) {
        precondition(workers >= 1 && batchChunks >= 1)
        self.workers = workers
        self.batchChunks = batchChunks
    }

    /// One worker per core this process may run on: the work is the cipher, which is CPU
    /// bound, and reads and writes are spread over the same threads. Memory is one batch
    /// (1 MiB) per worker, whatever the size of the file: the pipeline's depth is the core count.
    public static var machine: STREAMParallelism { STREAMParallelism(workers: CPUs.available) }
    public static let serial = STREAMParallelism(workers: 1)
}

/// One batch of chunks in one buffer, owned by one worker and reused for every batch it takes.
/// Chunk k lies at k × (64 KiB + 16): plaintext is sealed in place with its tag behind it, so
/// a sealed batch is the file's bytes; ciphertext is opened in place, so no second buffer.
final class STREAMBatch {
    let buffer: UnsafeMutableRawBufferPointer
    /// Opening only: one status per chunk, written by `process`, read by `emit`.
    let status: UnsafeMutableBufferPointer<UInt8>
    /// Room for the scatter/gather vectors of one batch (its chunks and one more).
    let vectors: UnsafeMutableBufferPointer<iovec>
    /// The worker's own cipher context.
    let context = ChunkCipher.Context()

    /// Set by `fill`, under the read lock.
    var bytes = 0
    var chunks = 0
    var sequence = 0
    var firstCounter: UInt64 = 0
    var isFinal = false
    var readError: Error?
    /// High-water mark, so only what was used is wiped at the end.
    var used = 0

    init(chunks: Int) {
        buffer = .allocate(byteCount: chunks * STREAM.encryptedChunkSize, alignment: 64)
        status = .allocate(capacity: chunks)
        vectors = .allocate(capacity: chunks + 1)
    }

    func reset() {
        bytes = 0
        chunks = 0
        isFinal = false
        readError = nil
    }

    deinit {
        if used > 0 { buffer.baseAddress!.initializeMemory(as: UInt8.self, repeating: 0, count: min(used, buffer.count)) }
        buffer.deallocate()
        status.deallocate()
        vectors.deallocate()
    }
}

/// Runs a payload through `workers` symmetric threads, each looping over: take the read lock
/// and read the next batch into its own buffer (`fill`), seal or open it (`process`, on every
/// core at once), wait for its turn and write it (`emit`, strictly in read order). No thread
/// only waits on another: whoever is free does the next step, so both cores stay busy, and
/// memory is one batch per worker. The first emit error in stream order stops the run: nothing
/// after it is emitted, and no more is read.
///
/// The calling thread reads the first batch itself; a payload that fits in it (a manifest)
/// is done there without waking another thread.
final class BatchPipeline {
    private let parallelism: STREAMParallelism
    private let fill: (STREAMBatch) throws -> Void
    private let process: (STREAMBatch) -> Void
    private let emit: (STREAMBatch) throws -> Void

    /// Guards reading: `fill` runs under it, in sequence order.
    private let readLock = Monitor()
    private var nextSequence = 0
    private var inputDone = false
    /// Guards the writing turn and the failure.
    private let turnLock = Monitor()
    private var turn = 0
    private var failure: Error?

    private init(parallelism: STREAMParallelism, fill: @escaping (STREAMBatch) throws -> Void,
                 process: @escaping (STREAMBatch) -> Void, emit: @escaping (STREAMBatch) throws -> Void) {
        self.parallelism = parallelism
        self.fill = fill
        self.process = process
        self.emit = emit
    }

    /// `fill` sets the batch's bytes, chunks and `isFinal` (input ended); a throw ends the
    /// input and is kept in `readError` for `emit`, which meets it in order. `firstCounter` is
    /// set here: every batch but the last is full.
    static func run(_ parallelism: STREAMParallelism,
                    fill: @escaping (STREAMBatch) throws -> Void,
                    process: @escaping (STREAMBatch) -> Void,
                    emit: @escaping (STREAMBatch) throws -> Void) throws {
        let pipeline = BatchPipeline(parallelism: parallelism, fill: fill, process: process, emit: emit)
        let first = STREAMBatch(chunks: parallelism.batchChunks)
        guard try pipeline.read(into: first) else { return }
        if first.isFinal || parallelism.workers == 1 {
            pipeline.work(first, haveBatch: true)
        } else {
            // Worker 0 is this thread with the batch in hand; the others allocate their own.
            PipelineThreads.run(parallelism.workers) { i in
                pipeline.work(i == 0 ? first : STREAMBatch(chunks: parallelism.batchChunks), haveBatch: i == 0)
            }
        }
        pipeline.turnLock.lock()
        let failure = pipeline.failure
        pipeline.turnLock.unlock()
        if let failure { throw failure }
    }

    /// Reads the next batch into `batch`; false when there is nothing left to read (input
    /// ended in an earlier batch, or the run failed).
    private func read(into batch: STREAMBatch) throws -> Bool {
        readLock.lock()
        defer { readLock.unlock() }
        guard !inputDone, !hasFailed else { return false }
        batch.reset()
        batch.sequence = nextSequence
        nextSequence += 1
        let (counter, overflow) = UInt64(batch.sequence).multipliedReportingOverflow(by: UInt64(parallelism.batchChunks))
        guard !overflow else { throw AgeError.io("payload too large: chunk counter overflow") }
        batch.firstCounter = counter
        do { try fill(batch) } catch {
            batch.readError = error
            batch.isFinal = true
        }
        // Sealing reads plaintext with gaps for the tags: what was read may reach that far past `bytes`.
        batch.used = max(batch.used, min(batch.buffer.count, batch.bytes + parallelism.batchChunks * STREAM.tagSize))
        if batch.isFinal { inputDone = true }
        return true
    }

    private func work(_ batch: STREAMBatch, haveBatch: Bool) {
        var have = haveBatch
        while true {
            if !have {
                do { guard try read(into: batch) else { return } } catch { fail(error); return }
            }
            have = false
            process(batch)
            turnLock.lock()
            while turn != batch.sequence, failure == nil { turnLock.wait() }
            let stopped = failure != nil
            turnLock.unlock()
            if stopped { return }
            var emitError: Error?
            do { try emit(batch) } catch { emitError = error }
            turnLock.lock()
            if let emitError, failure == nil { failure = emitError }
            turn += 1
            turnLock.broadcast()
            turnLock.unlock()
            if batch.isFinal || emitError != nil { return }
        }
    }

    private var hasFailed: Bool {
        turnLock.lock()
        defer { turnLock.unlock() }
        return failure != nil
    }

    private func fail(_ error: Error) {
        turnLock.lock()
        if failure == nil { failure = error }
        turnLock.broadcast()
        turnLock.unlock()
    }
}
