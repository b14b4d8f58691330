/// Whole payloads, sealed or opened a batch of chunks at a time on every core (see
/// `BatchPipeline`), with the output in order and exactly what the serial reference gives:
/// - sealing: the last chunk is known by reading one batch ahead, so it is sealed once, as last;
/// - opening: a chunk's plaintext is written only after it and every chunk before it
///   authenticated, and it follows the reference reader (and the CCTV vectors) to the error: a
///   short chunk at the end of input is the last chunk; a full chunk is tried as "not last" then
///   as "last"; after the last chunk the input must end; a read error surfaces where the serial
///   reader would have met it, after the chunks before it.
enum STREAMPipeline {
    /// Reads `source` to its end and writes the sealed payload to `sink`.
    static func seal(from source: ByteSource, cipher: ChunkCipher, to sink: ByteSink, parallelism: STREAMParallelism) throws {
        try BatchPipeline.run(parallelism, opening: false, process: { batch, range in
            for k in range {
                let offset = k * STREAM.encryptedChunkSize
                let length = min(STREAM.chunkSize, batch.bytes - k * STREAM.chunkSize)
                cipher.seal(UnsafeMutableRawBufferPointer(rebasing: batch.input[offset..<(offset + length)]),
                            tag: batch.input.baseAddress! + offset + length, counter: batch.firstCounter + UInt64(k),
                            last: batch.isFinal && k == batch.chunks - 1)
            }
        }, emit: { batch in
            // Chunk, tag, chunk, tag…: the batch is the file's bytes.
            try sink.write(UnsafeRawBufferPointer(rebasing: batch.input[..<(batch.bytes + batch.chunks * STREAM.tagSize)]))
        }, fill: { pipeline in
            var counter: UInt64 = 0
            var current = try pipeline.acquire()
            try readPlaintext(into: current, from: source, chunks: pipeline.chunksPerBatch)
            while true {
                // A full batch may be followed by more: read ahead to know where the last chunk is.
                var next: STREAMBatch?
                if current.bytes == pipeline.chunksPerBatch * STREAM.chunkSize {
                    let ahead = try pipeline.acquire()
                    try readPlaintext(into: ahead, from: source, chunks: pipeline.chunksPerBatch)
                    if ahead.bytes > 0 { next = ahead } else { pipeline.release(ahead) }
                }
                current.isFinal = next == nil
                current.firstCounter = counter
                // The empty payload is one empty chunk.
                current.chunks = max(1, (current.bytes + STREAM.chunkSize - 1) / STREAM.chunkSize)
                pipeline.submit(current)
                guard let next else { return }
                counter = try advance(counter, by: pipeline.chunksPerBatch)
                current = next
            }
        })
    }

    /// Plaintext chunk k goes to k × (64 KiB + 16), leaving room for its tag.
    private static func readPlaintext(into batch: STREAMBatch, from source: ByteSource, chunks: Int) throws {
        for k in 0..<chunks {
            let offset = k * STREAM.encryptedChunkSize
            let n = try source.readFull(into: UnsafeMutableRawBufferPointer(rebasing: batch.input[offset..<(offset + STREAM.chunkSize)]))
            batch.bytes += n
            if n < STREAM.chunkSize { return }
        }
    }

    private static func advance(_ counter: UInt64, by chunks: Int) throws -> UInt64 {
        let (next, overflow) = counter.addingReportingOverflow(UInt64(chunks))
        guard !overflow else { throw AgeError.io("payload too large: chunk counter overflow") }
        return next
    }

    /// What opening one chunk found; the writer turns it into output or the error, in order.
    private enum ChunkStatus: UInt8 {
        case notLast, last, failed, truncated, emptyLast
    }

    /// Reads the encrypted payload from `source` to its end and writes the plaintext to `sink`.
    static func open(from source: ByteSource, cipher: ChunkCipher, to sink: ByteSink, parallelism: STREAMParallelism) throws {
        var sawLast = false  // the writer's: emits run one at a time, in order
        try BatchPipeline.run(parallelism, opening: true, process: { batch, range in
            for k in range { batch.status[k] = openChunk(k, of: batch, cipher: cipher).rawValue }
        }, emit: { batch in
            try emitOpened(batch, to: sink, sawLast: &sawLast)
        }, fill: { pipeline in
            let capacity = pipeline.chunksPerBatch * STREAM.encryptedChunkSize
            var counter: UInt64 = 0
            while true {
                let batch = try pipeline.acquire()
                do {
                    while batch.bytes < capacity {
                        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: batch.input[batch.bytes..<capacity]))
                        if n == 0 { break }
                        batch.bytes += n
                    }
                } catch { batch.readError = error }
                batch.isFinal = batch.bytes < capacity || batch.readError != nil
                let whole = batch.bytes / STREAM.encryptedChunkSize
                // After a read error only whole chunks count: the serial reader never saw the rest.
                batch.chunks = whole + (batch.readError == nil && batch.bytes % STREAM.encryptedChunkSize > 0 ? 1 : 0)
                batch.firstCounter = counter
                pipeline.submit(batch)
                if batch.isFinal { return }
                counter = try advance(counter, by: pipeline.chunksPerBatch)
            }
        })
    }

    private static func openChunk(_ k: Int, of batch: STREAMBatch, cipher: ChunkCipher) -> ChunkStatus {
        let offset = k * STREAM.encryptedChunkSize
        let n = min(STREAM.encryptedChunkSize, batch.bytes - offset)
        let counter = batch.firstCounter + UInt64(k)
        if n < STREAM.tagSize { return .truncated }
        if n == STREAM.tagSize, counter > 0 { return .emptyLast }
        let sealed = UnsafeRawBufferPointer(rebasing: batch.input[offset..<(offset + n)])
        let plaintext = batch.output!.baseAddress! + k * STREAM.chunkSize
        if n == STREAM.encryptedChunkSize, cipher.open(sealed, into: plaintext, counter: counter, last: false) { return .notLast }
        return cipher.open(sealed, into: plaintext, counter: counter, last: true) ? .last : .failed
    }

    /// Writes the batch's plaintext up to its first bad chunk, then throws what the serial
    /// reader would have thrown there.
    private static func emitOpened(_ batch: STREAMBatch, to sink: ByteSink, sawLast: inout Bool) throws {
        var ready = 0
        func flush() throws {
            if ready > 0 { try sink.write(UnsafeRawBufferPointer(rebasing: batch.output![..<ready])) }
        }
        var consumed = 0
        for k in 0..<batch.chunks {
            if sawLast { try flush(); throw AgeError.trailingData }
            let n = min(STREAM.encryptedChunkSize, batch.bytes - consumed)
            consumed += n
            switch ChunkStatus(rawValue: batch.status[k])! {
            case .notLast: ready += n - STREAM.tagSize
            case .last: ready += n - STREAM.tagSize; sawLast = true
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
