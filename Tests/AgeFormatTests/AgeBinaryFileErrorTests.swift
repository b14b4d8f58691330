import XCTest
import TestSupport
@testable import AgeFormat

/// Files written by Debian's `age` 1.1.1 and then damaged: the reader refuses each with the error
/// the user is shown (the CLI prints `error: <description>; <what to do>`), and releases no
/// plaintext that did not authenticate. (Moved in-process from CLITests/AgeInteropTests.)
final class AgeBinaryFileErrorTests: XCTestCase {
    /// An identity from `age-keygen`, parsed as keyrack parses identity files, and its recipient.
    private func ageKeygen() throws -> (identities: [any Identity], recipient: String) {
        let keygen = try Run.process("age-keygen", [])
        XCTAssertEqual(keygen.status, 0, keygen.description)
        let recipient = keygen.err.components(separatedBy: "Public key: ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        XCTAssertTrue(recipient.hasPrefix("age1"), keygen.err)
        return (try AgeKeys.parseIdentities(fileContents: keygen.out), recipient)
    }

    private func ageEncrypt(_ plaintext: [UInt8], to recipient: String) throws -> [UInt8] {
        let r = try Run.process("age", ["-r", recipient], stdin: plaintext)
        XCTAssertEqual(r.status, 0, r.description)
        return r.stdout
    }

    /// Decrypts into a sink; returns the error and what was released before it.
    private func decrypt(_ file: [UInt8], _ identities: [any Identity]) -> (error: AgeError?, released: [UInt8]) {
        let sink = BytesSink()
        do {
            try AgeDecryptor(input: BytesSource(file), identities: identities).decrypt(to: sink)
            return (nil, sink.bytes)
        } catch {
            return (error as? AgeError, sink.bytes)
        }
    }

    func testWrongIdentity() throws {
        let a = try ageKeygen(), other = try ageKeygen()
        let (error, released) = decrypt(try ageEncrypt(Array("secret".utf8), to: a.recipient), other.identities)
        XCTAssertEqual(error, .noMatchingIdentity(stanzaTypes: ["X25519"]))
        XCTAssertTrue(error?.description.hasPrefix("no identity matched") ?? false)
        XCTAssertFalse(error?.description.contains("\n") ?? true, "one line")
        XCTAssertTrue(released.isEmpty)
    }

    func testBadMAC() throws {
        let a = try ageKeygen()
        var file = try ageEncrypt(Array("secret".utf8), to: a.recipient)
        // Flip one character of the MAC, keeping it canonical base64.
        let macLine = file.firstRange(of: Array("--- ".utf8))!.upperBound
        file[macLine + 2] = file[macLine + 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let (error, released) = decrypt(file, a.identities)
        XCTAssertEqual(error, .headerMACMismatch)
        XCTAssertTrue(error?.description.hasPrefix("header MAC mismatch") ?? false)
        XCTAssertTrue(released.isEmpty)
    }

    func testMalformedHeaderAndNotAnAgeFile() throws {
        let a = try ageKeygen()
        let cut = decrypt(Array("age-encryption.org/v1\n-> X25519\n".utf8), a.identities).error
        guard case .malformedHeader = cut else { return XCTFail("\(String(describing: cut))") }
        XCTAssertTrue(cut?.description.hasPrefix("malformed age header") ?? false)
        let notAge = decrypt(Array("hello world\n".utf8), a.identities).error
        XCTAssertTrue(notAge?.description.contains("not an age file") ?? false, "\(String(describing: notAge))")
    }

    func testTamperedPayload() throws {
        let a = try ageKeygen()
        var file = try ageEncrypt(randomBytes(1000), to: a.recipient)
        file[file.count - 20] ^= 0x01
        let (error, released) = decrypt(file, a.identities)
        XCTAssertEqual(error, .payloadAuthenticationFailed(chunk: 0))
        XCTAssertTrue(error?.description.hasPrefix("payload authentication failed at chunk 0") ?? false)
        XCTAssertTrue(released.isEmpty, "no plaintext of an unauthenticated chunk")
    }

    /// An age file cut after its first chunk: only whole authenticated chunks are released.
    func testTruncatedReleasesOnlyAuthenticatedChunks() throws {
        let a = try ageKeygen()
        let plain = randomBytes(3 * 65536 + 100)
        let file = try ageEncrypt(plain, to: a.recipient)
        let (error, released) = decrypt(Array(file.prefix(file.count - (65536 + 100 + 32))), a.identities)
        XCTAssertEqual(error, .truncated)
        XCTAssertTrue(error?.description.contains("the file is truncated") ?? false)
        XCTAssertEqual(released.count % 65536, 0)
        XCTAssertEqual(released, Array(plain.prefix(released.count)))
    }
}
