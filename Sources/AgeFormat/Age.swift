import Crypto

/// Writes one age file: header first (at init), then the payload as it is written, then the
/// final chunk (and the armor footer) at `finish()`. Memory stays at one chunk whatever the size.
public final class AgeEncryptor {
    private let sink: ByteSink
    private let cipher: ChunkCipher
    private let armor: ArmorWriter?
    private lazy var stream = STREAMWriter(cipher: cipher, sink: sink)

    /// Wraps a fresh file key for every recipient and writes the header and payload nonce to `output`.
    public init(recipients: [any Recipient], armor: Bool, output: ByteSink) throws {
        guard !recipients.isEmpty else { throw AgeError.incompatibleRecipients("no recipients given") }
        // age's label rule: every recipient must carry the same label set, so a post-quantum file
        // can never be silently weakened by one classic recipient, and scrypt stays alone.
        let labels = recipients[0].labels
        guard recipients.allSatisfy({ $0.labels == labels }) else {
            throw AgeError.incompatibleRecipients("these recipients cannot share one file (post-quantum and classic keys, or a passphrase with other recipients)")
        }
        let fileKey = FileKey.random()
        let stanzas = try recipients.flatMap { try $0.wrap(fileKey) }
        let header = try Header.encode(stanzas, fileKey: fileKey)

        let armorWriter = armor ? try ArmorWriter(sink: output) : nil
        let sink: ByteSink = armorWriter ?? output
        var nonce = [UInt8](repeating: 0, count: STREAM.nonceSize)
        var rng = SystemRandomNumberGenerator()
        for i in nonce.indices { nonce[i] = rng.next() }
        try sink.write(header + nonce)
        self.armor = armorWriter
        self.sink = sink
        cipher = ChunkCipher(key: STREAM.payloadKey(fileKey: fileKey, nonce: nonce))
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws { try stream.write(bytes) }
    public func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try stream.write($0) } }

    /// Seals the last chunk and closes the armor. Without it the file is truncated, by design.
    public func finish() throws {
        try stream.finish()
        try armor?.finish()
    }

    /// Encrypts all of `input` to `output`, sealing batches of chunks on `parallelism` threads
    /// while the next batch is read and the previous one written (see `STREAMPipeline`).
    public static func encrypt(from input: ByteSource, to recipients: [any Recipient], armor: Bool, output: ByteSink,
                               parallelism: STREAMParallelism = .machine) throws {
        let encryptor = try AgeEncryptor(recipients: recipients, armor: armor, output: output)
        try STREAMPipeline.seal(from: input, cipher: encryptor.cipher, to: encryptor.sink, parallelism: parallelism)
        try encryptor.armor?.finish()
    }
}

/// Reads one age file, armored or binary: parses the header, finds the file key with the first
/// identity that has it, verifies the MAC, then decrypts the payload chunk by chunk.
public final class AgeDecryptor {
    private let source: ByteSource
    /// The header as parsed (stanzas, MAC).
    public let header: Header
    private let fileKey: FileKey

    /// Reads and checks the header. Throws `.noMatchingIdentity` when no identity has the key.
    public convenience init(input: ByteSource, identities: [any Identity]) throws {
        try self.init(input: input, identities: identities, armored: nil)
    }

    /// `armored`: nil detects armor from the first bytes (what the CLI wants); true/false forces.
    init(input: ByteSource, identities: [any Identity], armored: Bool?) throws {
        let peekable = PeekableSource(input)
        let prefix = try peekable.peek(Armor.maxWhitespace + 16)
        let reader: PeekableSource
        if armored ?? Armor.looksArmored(prefix) {
            reader = PeekableSource(ArmorReader(source: peekable))
            // An armor block that decodes to nothing is an empty file, which is a header failure.
            if try reader.peek(1).isEmpty { throw AgeError.malformedHeader("the armored file is empty") }
        } else {
            guard !prefix.isEmpty else { throw AgeError.malformedHeader("the input is empty") }
            reader = peekable
        }
        header = try Header.parse(from: reader)
        // The spec's scrypt rule holds whichever identity would match: a passphrase file with
        // company is refused even when an X25519 identity could open the other stanza.
        if header.stanzas.contains(where: { $0.type == ScryptFormat.stanzaType }), header.stanzas.count != 1 {
            throw AgeError.malformedHeader("an scrypt stanza must be the only stanza in the file, found \(header.stanzas.count) stanzas")
        }

        var found: FileKey?
        for identity in identities {
            if let key = try identity.unwrap(header.stanzas) { found = key; break }
        }
        guard let found else { throw AgeError.noMatchingIdentity(stanzaTypes: header.stanzas.map(\.type)) }
        guard header.verifyMAC(fileKey: found) else { throw AgeError.headerMACMismatch }
        fileKey = found
        source = reader
    }

    /// Decrypts the payload, calling `output` with plaintext (in order, one batch of chunks at
    /// a time) once it and everything before it authenticated.
    public func decrypt(_ output: (UnsafeRawBufferPointer) throws -> Void) throws {
        try withoutActuallyEscaping(output) { try decrypt(to: ClosureSink($0)) }
    }

    /// Decrypts the payload to `sink`, opening batches of chunks on `parallelism` threads. When
    /// a chunk fails, everything before it has been written when this throws, nothing after it.
    /// `fullChunks`: libcrypto for a stream of any size, BoringSSL for one known to be small.
    public func decrypt(to sink: ByteSink, parallelism: STREAMParallelism = .machine) throws {
        try decrypt(to: sink, parallelism: parallelism, fullChunks: .libcrypto)
    }

    func decrypt(to sink: ByteSink, parallelism: STREAMParallelism, fullChunks: ChunkCipher.FullChunks) throws {
        var nonce = [UInt8](repeating: 0, count: STREAM.nonceSize)
        let n = try nonce.withUnsafeMutableBytes { try source.readFull(into: $0) }
        guard n == STREAM.nonceSize else { throw AgeError.malformedHeader("the file ends before the 16-byte payload nonce") }
        let cipher = ChunkCipher(key: STREAM.payloadKey(fileKey: fileKey, nonce: nonce), fullChunks: fullChunks)
        try STREAMPipeline.open(from: source, cipher: cipher, to: sink, parallelism: parallelism)
    }
}

/// Whole-buffer helpers for small files (manifests): the same code as the streaming path.
public enum Age {
    public static func encrypt(_ plaintext: [UInt8], to recipients: [any Recipient], armor: Bool) throws -> [UInt8] {
        let sink = BytesSink()
        let encryptor = try AgeEncryptor(recipients: recipients, armor: armor, output: sink)
        try encryptor.write(plaintext)
        try encryptor.finish()
        return sink.bytes
    }

    /// Decrypts an armored or binary age file.
    public static func decrypt(_ ciphertext: [UInt8], with identities: [any Identity]) throws -> [UInt8] {
        let decryptor = try AgeDecryptor(input: BytesSource(ciphertext), identities: identities)
        let sink = BytesSink()
        // The plaintext is shorter than the file (armored: three quarters of it).
        sink.reserveCapacity(ciphertext.count)
        try decryptor.decrypt(to: sink, parallelism: .machine, fullChunks: ciphertext.count <= smallPayloadBytes ? .boringSSL : .libcrypto)
        return sink.bytes
    }

    /// Up to this size a file's full chunks are opened by BoringSSL (ChunkCipher). Callgrind of
    /// unlock: libcrypto costs 11.6 M instructions to load and set up, then 4.7 a byte;
    /// BoringSSL with its copies 10.2 a byte: they meet near 2 MiB. In time they meet later:
    /// libcrypto's load and first fetch take 2.1 ms of wall clock (dlopen binds its symbols and
    /// faults its pages in; callgrind counts neither), and both threads open chunks either way.
    /// The age decrypt of a 10 000-key manifest (a 3.9 MB file), uprobes, 15 runs each, min and
    /// median: libcrypto 6.30 and 6.64 ms, BoringSSL 3.93 and 4.66 ms.
    static let smallPayloadBytes = 8 << 20
}
