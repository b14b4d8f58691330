import XCTest
import TestSupport
@testable import AgeFormat

/// The streaming entry points seal and open on a pool of threads (`STREAMPipeline`). These pin what
/// that must not change: bytes arrive complete and in order, a failing output surfaces as the
/// output's own error (no hang), and a decryption that fails mid-file has written exactly the
/// chunks that authenticated before it throws.
final class StreamingSinkTests: XCTestCase {
    /// Two batches (1 MiB each) and a ragged tail, so the pool and the writer really run.
    let size = 1_600_000

    func testStreamingEncryptAndDecryptMatchWholeBufferHelpers() throws {
        let identity = X25519Identity.generate()
        let plaintext = randomBytes(size)
        for armor in [false, true] {
            let sink = BytesSink()
            try AgeEncryptor.encrypt(from: BytesSource(plaintext), to: [identity.recipient], armor: armor, output: sink)
            XCTAssertEqual(try Age.decrypt(sink.bytes, with: [identity]), plaintext, "armor \(armor)")

            let out = BytesSink()
            try AgeDecryptor(input: BytesSource(sink.bytes), identities: [identity]).decrypt(to: out)
            XCTAssertEqual(out.bytes, plaintext, "armor \(armor)")
        }
    }

    func testOutputFailureSurfacesAsTheOutputsError() throws {
        let identity = X25519Identity.generate()
        let failing = FailingSink(failAfter: 1024 * 1024)
        XCTAssertThrowsError(try AgeEncryptor.encrypt(from: BytesSource(randomBytes(size)), to: [identity.recipient],
                                                      armor: false, output: failing)) { error in
            XCTAssertEqual(error as? AgeError, .io("disk full (test)"))
        }
        XCTAssertEqual(failing.accepted, 1024 * 1024, "nothing is written after the first failure")
    }

    func testDecryptFailureMidFileWritesExactlyTheAuthenticatedChunks() throws {
        let identity = X25519Identity.generate()
        let plaintext = randomBytes(size)
        var file = try Age.encrypt(plaintext, to: [identity.recipient], armor: false)
        let (_, offset) = try Header.parse(file)
        // Flip a bit inside chunk 20 (of 25): chunks 0…19 authenticate, chunk 20 does not.
        let chunk20 = offset + STREAM.nonceSize + 20 * STREAM.encryptedChunkSize
        file[chunk20 + 100] ^= 0x01

        let out = BytesSink()
        XCTAssertThrowsError(try AgeDecryptor(input: BytesSource(file), identities: [identity]).decrypt(to: out)) { error in
            XCTAssertEqual(error as? AgeError, .payloadAuthenticationFailed(chunk: 20))
        }
        XCTAssertEqual(out.bytes.count, 20 * STREAM.chunkSize)
        XCTAssertEqual(out.bytes, Array(plaintext[..<(20 * STREAM.chunkSize)]))
    }
}

/// Accepts `failAfter` bytes, then throws on every write.
private final class FailingSink: ByteSink {
    let failAfter: Int
    private(set) var accepted = 0
    init(failAfter: Int) { self.failAfter = failAfter }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard accepted + bytes.count <= failAfter else {
            accepted += max(0, failAfter - accepted)
            throw AgeError.io("disk full (test)")
        }
        accepted += bytes.count
    }
}
