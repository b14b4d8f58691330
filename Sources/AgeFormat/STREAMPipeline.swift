#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole payloads, sealed or opened a batch of chunks at a time on every core (see
/// `BatchPipeline`), with the output in order and exactly what the serial reference gives:
/// - sealing: the last chunk is known by reading one byte ahead, so it is sealed once, as last;
/// - opening: a chunk's plaintext is written only after it and every chunk before it
///   authenticated, and it follows the reference reader (and the CCTV vectors) to the error: a
///   short chunk at the end of input is the last chunk; a full chunk is tried as "not last" then
///   as "last"; after the last chunk the input must end; a read error surfaces where the serial
///   reader would have met it, after the chunks before it.
enum STREAMPipeline {
    /// Reads `source` to its end and writes the sealed payload to `sink`.
    static func seal(from source: ByteSource, cipher: ChunkCipher, to sink: ByteSink, parallelism: STREAMParallelism) throws {
        // One byte read past each full batch says whether more follows, so the last chunk is
        // known when it is read and sealed once, as last (age reads one byte ahead the same way).
        // It is the first byte of the next batch. Guarded by the pipeline's read lock.
        let carry = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        var carried = false
        defer { carry.pointee = 0; carry.deallocate() }
        try BatchPipeline.run(parallelism, fill: { batch in
            let chunks = parallelism.batchChunks
            var start = 0
            if carried { batch.buffer[0] = carry.pointee; start = 1; carried = false }
            for k in 0..<chunks {
                let offset = k * STREAM.encryptedChunkSize + (k == 0 ? start : 0)
                batch.vectors[k] = iovec(iov_base: batch.buffer.baseAddress! + offset, iov_len: STREAM.chunkSize - (k == 0 ? start : 0))
            }
            batch.vectors[chunks] = iovec(iov_base: UnsafeMutableRawPointer(carry), iov_len: 1)
            let n = try source.readFull(scattering: batch.vectors)
            batch.bytes = min(start + n, chunks * STREAM.chunkSize)
            carried = start + n > chunks * STREAM.chunkSize
            batch.isFinal = !carried
            // The empty payload is one empty chunk.
            batch.chunks = max(1, (batch.bytes + STREAM.chunkSize - 1) / STREAM.chunkSize)
        }, process: { batch in
            for k in 0..<batch.chunks {
                let offset = k * STREAM.encryptedChunkSize
                let length = min(STREAM.chunkSize, batch.bytes - k * STREAM.chunkSize)
                cipher.seal(UnsafeMutableRawBufferPointer(rebasing: batch.buffer[offset..<(offset + length)]),
                            tag: batch.buffer.baseAddress! + offset + length, counter: batch.firstCounter + UInt64(k),
                            last: batch.isFinal && k == batch.chunks - 1, context: batch.context)
            }
        }, emit: { batch in
            if let error = batch.readError { throw error }
            // Chunk, tag, chunk, tag…: the batch is the file's bytes.
            try sink.write(UnsafeRawBufferPointer(rebasing: batch.buffer[..<(batch.bytes + batch.chunks * STREAM.tagSize)]))
        })
    }

    /// What opening one chunk found; the writer turns it into output or the error, in order.
    private enum ChunkStatus: UInt8 {
        case notLast, last, failed, truncated, emptyLast
    }

    /// Reads the encrypted payload from `source` to its end and writes the plaintext to `sink`.
    static func open(from source: ByteSource, cipher: ChunkCipher, to sink: ByteSink, parallelism: STREAMParallelism) throws {
        var sawLast = false  // the writer's: emits run one at a time, in order
        try BatchPipeline.run(parallelism, fill: { batch in
            let capacity = parallelism.batchChunks * STREAM.encryptedChunkSize
            do {
                while batch.bytes < capacity {
                    let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: batch.buffer[batch.bytes..<capacity]))
                    if n == 0 { break }
                    batch.bytes += n
                }
            } catch { batch.readError = error }
            batch.isFinal = batch.bytes < capacity || batch.readError != nil
            let whole = batch.bytes / STREAM.encryptedChunkSize
            // After a read error only whole chunks count: the serial reader never saw the rest.
            batch.chunks = whole + (batch.readError == nil && batch.bytes % STREAM.encryptedChunkSize > 0 ? 1 : 0)
        }, process: { batch in
            for k in 0..<batch.chunks { batch.status[k] = openChunk(k, of: batch, cipher: cipher).rawValue }
        }, emit: { batch in
            try emitOpened(batch, to: sink, sawLast: &sawLast)
        })
    }

    private static func openChunk(_ k: Int, of batch: STREAMBatch, cipher: ChunkCipher) -> ChunkStatus {
        let offset = k * STREAM.encryptedChunkSize
        let n = min(STREAM.encryptedChunkSize, batch.bytes - offset)
        let counter = batch.firstCounter + UInt64(k)
        if n < STREAM.tagSize { return .truncated }
        if n == STREAM.tagSize, counter > 0 { return .emptyLast }
        let sealed = UnsafeMutableRawBufferPointer(rebasing: batch.buffer[offset..<(offset + n)])
        if n == STREAM.encryptedChunkSize, cipher.openInPlace(sealed, counter: counter, last: false, context: batch.context) { return .notLast }
        return cipher.openInPlace(sealed, counter: counter, last: true, context: batch.context) ? .last : .failed
    }

    /// Writes the batch's plaintext up to its first bad chunk (one gather write: the chunks
    /// lie where they were opened, between their tags), then throws what the serial reader
    /// would have thrown there.
    private static func emitOpened(_ batch: STREAMBatch, to sink: ByteSink, sawLast: inout Bool) throws {
        var ready = 0
        func flush() throws {
            if ready > 0 { try sink.write(gathering: UnsafeMutableBufferPointer(rebasing: batch.vectors[..<ready])) }
        }
        var consumed = 0
        for k in 0..<batch.chunks {
            if sawLast { try flush(); throw AgeError.trailingData }
            let n = min(STREAM.encryptedChunkSize, batch.bytes - consumed)
            consumed += n
            let status = ChunkStatus(rawValue: batch.status[k])!
            switch status {
            case .notLast, .last:
                batch.vectors[ready] = iovec(iov_base: batch.buffer.baseAddress! + k * STREAM.encryptedChunkSize, iov_len: n - STREAM.tagSize)
                ready += 1
                if status == .last { sawLast = true }
            case .failed: try flush(); throw AgeError.payloadAuthenticationFailed(chunk: batch.firstCounter + UInt64(k))
            case .truncated: try flush(); throw AgeError.truncated
            case .emptyLast: try flush(); throw AgeError.emptyLastChunk
            }
        }
        // Bytes after the last chunk that did not make a whole chunk before a read error.
        if sawLast, batch.bytes > consumed { try flush(); throw AgeError.trailingData }
        try flush()
        if let error = batch.readError { throw error }
        if batch.isFinal, !sawLast { throw AgeError.truncated }
    }
}

/// Hands each write to a closure (the callback form of `AgeDecryptor.decrypt`).
final class ClosureSink: ByteSink {
    private let body: (UnsafeRawBufferPointer) throws -> Void
    init(_ body: @escaping (UnsafeRawBufferPointer) throws -> Void) { self.body = body }
    func write(_ bytes: UnsafeRawBufferPointer) throws { try body(bytes) }
}
