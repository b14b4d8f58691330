import Crypto
import Foundation

/// age's STREAM payload: ChaCha20-Poly1305 over 64 KiB chunks, nonce = 11-byte big-endian chunk
/// counter ‖ last-chunk flag. The flag is what makes truncation detectable: a file cut at a chunk
/// boundary ends on a chunk sealed as "not last", which then fails.
///
/// Both directions work chunk by chunk over one reused buffer, so memory does not grow with the
/// file, and hand whole chunks to swift-crypto so no Swift code touches individual bytes. The
/// `Data` swift-crypto returns for each chunk is passed on as is to a `BackgroundSink` (the
/// streaming entry points write through one), so no chunk is copied again on its way out.
enum STREAM {
    static let chunkSize = 64 * 1024
    static let tagSize = 16
    static let encryptedChunkSize = chunkSize + tagSize
    static let nonceSize = 16

    /// `HKDF-SHA-256(ikm: file key, salt: payload nonce, info: "payload")`.
    static func payloadKey(fileKey: FileKey, nonce: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: fileKey.bytes), salt: nonce,
                               info: Array("payload".utf8), outputByteCount: 32)
    }

    static func chunkNonce(_ counter: UInt64, last: Bool) throws -> ChaChaPoly.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        var c = counter.bigEndian
        withUnsafeBytes(of: &c) { for i in 0..<8 { bytes[3 + i] = $0[i] } }
        bytes[11] = last ? 1 : 0
        return try ChaChaPoly.Nonce(data: bytes)
    }
}

/// Encrypts a payload: buffers plaintext into 64 KiB chunks and seals each one when it knows
/// whether it is the last (a full chunk is held back until more data arrives or `finish()`).
final class STREAMWriter {
    private let key: SymmetricKey
    private let sink: ByteSink
    private let background: BackgroundSink?
    private let buffer: UnsafeMutableRawBufferPointer
    private var filled = 0
    private var counter: UInt64 = 0
    private var finished = false

    init(key: SymmetricKey, sink: ByteSink) {
        self.key = key
        self.sink = sink
        background = sink as? BackgroundSink
        buffer = .allocate(byteCount: STREAM.chunkSize, alignment: 16)
    }

    deinit {
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        buffer.deallocate()
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!finished, "write after finish")
        var rest = bytes
        while !rest.isEmpty {
            // Every chunk known not to be the last (a held full chunk, and whole chunks of the
            // caller's buffer that more data follows) is sealed straight from where it lies.
            let heldFull = filled == STREAM.chunkSize
            if heldFull || (filled == 0 && rest.count > STREAM.chunkSize) {
                var batch: [UnsafeRawBufferPointer] = heldFull ? [UnsafeRawBufferPointer(buffer)] : []
                let taken = min((rest.count - 1) / STREAM.chunkSize, STREAMWriter.maxBatch)
                for i in 0..<taken {
                    let start = rest.startIndex + i * STREAM.chunkSize
                    batch.append(UnsafeRawBufferPointer(rebasing: rest[start..<(start + STREAM.chunkSize)]))
                }
                try sealBatch(batch)
                filled = 0
                rest = UnsafeRawBufferPointer(rebasing: rest[(rest.startIndex + taken * STREAM.chunkSize)...])
                continue
            }
            let n = min(STREAM.chunkSize - filled, rest.count)
            (buffer.baseAddress! + filled).copyMemory(from: rest.baseAddress!, byteCount: n)
            filled += n
            rest = UnsafeRawBufferPointer(rebasing: rest[(rest.startIndex + n)...])
        }
    }

    /// Seals the final chunk (empty only when the whole payload is).
    func finish() throws {
        guard !finished else { return }
        finished = true
        try seal(UnsafeRawBufferPointer(rebasing: buffer[..<filled]), last: true)
        filled = 0
    }

    static let maxBatch = 16

    /// Seals consecutive non-final chunks in order. (Sealing them concurrently was measured:
    /// slower on a busy 2-core machine, so it stays serial and simple.)
    private func sealBatch(_ chunks: [UnsafeRawBufferPointer]) throws {
        for chunk in chunks { try seal(chunk, last: false) }
    }

    private func seal(_ plaintext: UnsafeRawBufferPointer, last: Bool) throws {
        let box = try ChaChaPoly.seal(plaintext, using: key, nonce: STREAM.chunkNonce(counter, last: last))
        guard counter < UInt64.max else { throw AgeError.io("payload too large: chunk counter overflow") }
        counter += 1
        // `combined` is nonce ‖ ciphertext ‖ tag in one buffer: one write per chunk, no copy.
        let sealed = box.combined.dropFirst(12)
        if let background {
            try background.write(owned: sealed)
        } else {
            try sealed.withUnsafeBytes { try sink.write($0) }
        }
    }
}

/// Decrypts a payload, handing each chunk's plaintext to `emit` only after the chunk
/// authenticated. Follows the reference reader (and the CCTV vectors): a short read at end of input
/// is the last chunk; a full chunk is tried as "not last" then as "last"; after the last chunk
/// the input must end.
final class STREAMReader {
    private let key: SymmetricKey
    private let source: ByteSource

    init(key: SymmetricKey, source: ByteSource) {
        self.key = key
        self.source = source
    }

    func run(_ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        try runOwned { try $0.withUnsafeBytes(emit) }
    }

    /// As `run(_:)`, handing over each chunk's plaintext as the `Data` swift-crypto allocated.
    func runOwned(_ emit: (Data) throws -> Void) throws {
        // The chunk is read in after 12 bytes of room for its nonce, so nonce ‖ ciphertext ‖ tag
        // is one contiguous "combined" box that swift-crypto copies once, not piece by piece.
        let nonceSize = 12
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: nonceSize + STREAM.encryptedChunkSize, alignment: 16)
        defer { storage.deallocate() }
        let buffer = UnsafeMutableRawBufferPointer(rebasing: storage[nonceSize...])
        var counter: UInt64 = 0
        while true {
            let n = try source.readFull(into: buffer)
            if n == 0 { throw AgeError.truncated }
            let chunk = UnsafeMutableRawBufferPointer(rebasing: storage[..<(nonceSize + n)])
            var last = n < STREAM.encryptedChunkSize
            if last, n < STREAM.tagSize { throw AgeError.truncated }
            if last, n == STREAM.tagSize, counter > 0 { throw AgeError.emptyLastChunk }

            var plaintext = try? open(chunk, counter: counter, last: last)
            if plaintext == nil, !last {
                last = true
                plaintext = try? open(chunk, counter: counter, last: true)
            }
            guard let plaintext else { throw AgeError.payloadAuthenticationFailed(chunk: counter) }
            // A full chunk sealed as last in a file that is not the empty file must not be empty;
            // that cannot happen (a full chunk has 64 KiB of plaintext), so no check is needed here.
            try emit(plaintext)
            if last {
                var probe: UInt8 = 0
                if try withUnsafeMutableBytes(of: &probe, { try source.read(into: $0) }) > 0 {
                    throw AgeError.trailingData
                }
                return
            }
            guard counter < UInt64.max else { throw AgeError.trailingData }
            counter += 1
        }
    }

    /// `chunk` is 12 bytes of room for the nonce followed by the encrypted chunk.
    private func open(_ chunk: UnsafeMutableRawBufferPointer, counter: UInt64, last: Bool) throws -> Data {
        var c = counter.bigEndian
        chunk.baseAddress!.initializeMemory(as: UInt8.self, repeating: 0, count: 3)
        withUnsafeBytes(of: &c) { (chunk.baseAddress! + 3).copyMemory(from: $0.baseAddress!, byteCount: 8) }
        chunk[11] = last ? 1 : 0
        let box = try ChaChaPoly.SealedBox(combined: UnsafeRawBufferPointer(chunk))
        return try ChaChaPoly.open(box, using: key)
    }
}
