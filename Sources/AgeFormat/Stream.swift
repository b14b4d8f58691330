import CSodium
import Crypto

/// age's STREAM payload: ChaCha20-Poly1305 over 64 KiB chunks, nonce = 11-byte big-endian chunk
/// counter ‖ last-chunk flag. The flag is what makes truncation detectable: a file cut at a chunk
/// boundary ends on a chunk sealed as "not last", which then fails.
///
/// Whole files go through `STREAMPipeline` (batches of chunks on every core, in order); this
/// file holds the format's constants and the incremental writer behind `AgeEncryptor.write`.
enum STREAM {
    static let chunkSize = 64 * 1024
    static let tagSize = 16
    static let encryptedChunkSize = chunkSize + tagSize
    static let nonceSize = 16

    /// `HKDF-SHA-256(ikm: file key, salt: payload nonce, info: "payload")`.
    static func payloadKey(fileKey: FileKey, nonce: [UInt8]) -> SymmetricKey {
        var key = HKDFSHA256.derive(inputKeyMaterial: fileKey.bytes, salt: nonce, info: Array("payload".utf8))
        defer { sodium_memzero(&key, key.count) }
        return SymmetricKey(data: key)
    }

    typealias ChunkNonce = (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)

    /// The 12-byte ChaCha20-Poly1305 nonce of chunk `counter`.
    static func nonce(_ counter: UInt64, last: Bool) -> ChunkNonce {
        var n: ChunkNonce = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last ? 1 : 0)
        var c = counter.bigEndian
        withUnsafeMutableBytes(of: &n) { n in withUnsafeBytes(of: &c) { (n.baseAddress! + 3).copyMemory(from: $0.baseAddress!, byteCount: 8) } }
        return n
    }
}

/// Encrypts a payload written piece by piece: buffers plaintext into one 64 KiB chunk, seals it
/// in place (tag right behind it) once it knows whether it is the last (a full chunk is held
/// back until more data arrives or `finish()`), and writes chunk and tag with one call.
final class STREAMWriter {
    private let cipher: ChunkCipher
    private let sink: ByteSink
    private let buffer: UnsafeMutableRawBufferPointer
    private let context = ChunkCipher.Context()
    private var filled = 0
    private var counter: UInt64 = 0
    private var finished = false

    init(cipher: ChunkCipher, sink: ByteSink) {
        self.cipher = cipher
        self.sink = sink
        buffer = .allocate(byteCount: STREAM.encryptedChunkSize, alignment: 64)
    }

    convenience init(key: SymmetricKey, sink: ByteSink) { self.init(cipher: ChunkCipher(key: key), sink: sink) }

    deinit {
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        buffer.deallocate()
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!finished, "write after finish")
        var rest = bytes
        while !rest.isEmpty {
            if filled == STREAM.chunkSize { try seal(last: false) }
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
        try seal(last: true)
    }

    private func seal(last: Bool) throws {
        guard counter < UInt64.max else { throw AgeError.io("payload too large: chunk counter overflow") }
        cipher.seal(UnsafeMutableRawBufferPointer(rebasing: buffer[..<filled]), tag: buffer.baseAddress! + filled, counter: counter, last: last, context: context)
        counter += 1
        try sink.write(UnsafeRawBufferPointer(rebasing: buffer[..<(filled + STREAM.tagSize)]))
        filled = 0
    }
}
