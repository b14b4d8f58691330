import Foundation
import XCTest
import TestSupport

/// `keyrack age` with post-quantum keys, end to end through the binary: keygen, -r/-R, one file
/// each form. age 1.1.1 has no post-quantum support, so the oracle is the spec vectors; sizes, the
/// stanza and a wrong key are AgeFormatTests/HybridTests in-process; mixing with a classic
/// recipient is KeyrackAppTests/Age/AgeEncryptionTests.
final class HybridCLITests: XCTestCase {
    var dir: TempDirectory!

    override func setUpWithError() throws {
        dir = try TempDirectory("keyrack-pq")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: Run.keyrackBinary), "build keyrack first: \(Run.keyrackBinary)")
    }

    override func tearDown() { dir?.remove() }

    /// keygen --pq writes an AGE-SECRET-KEY-PQ-1 file (0600) and prints its age1pq1 recipient.
    func keygen(_ name: String) throws -> (identityPath: String, recipient: String) {
        let path = dir.file(name).path
        let run = try Run.keyrack(["age", "keygen", "--pq", "-o", path])
        XCTAssertEqual(run.status, 0, run.description)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.contains("\nAGE-SECRET-KEY-PQ-1"), "no PQ identity line in \(name)")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
        let recipient = run.err.components(separatedBy: "Public key: ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        XCTAssertTrue(recipient.hasPrefix("age1pq1"), run.err)
        let derived = try Run.keyrack(["age", "keygen", "-y", path])
        XCTAssertEqual(derived.status, 0, derived.description)
        XCTAssertEqual(derived.out.trimmingCharacters(in: .whitespacesAndNewlines), recipient, "-y derives the printed recipient")
        return (path, recipient)
    }

    func testKeygenEncryptDecrypt() throws {
        let (identity, recipient) = try keygen("pq.key")
        let (other, otherRecipient) = try keygen("pq2.key")
        let recipients = try dir.write("recipients.txt", Array("# two pq keys\n\(otherRecipient)\n".utf8))
        for (size, armor) in [(65536, false), (3 << 20 + 1, true)] {
            let plain = try dir.write("plain-\(size)", randomBytes(size))
            let sealed = dir.file("p-\(size).age").path
            let enc = try Run.keyrack(["age", "encrypt", "-r", recipient, "-R", recipients.path] + (armor ? ["-a"] : [])
                                      + ["-o", sealed, plain.path])
            XCTAssertEqual(enc.status, 0, enc.description)
            let header = String(decoding: try dir.read("p-\(size).age").prefix(armor ? 40 : 40), as: UTF8.self)
            XCTAssertTrue(armor ? header.hasPrefix("-----BEGIN AGE ENCRYPTED FILE-----") : header.hasPrefix("age-encryption.org/v1\n-> mlkem768x25519 "), header)
            for key in [identity, other] {
                let dec = try Run.keyrack(["age", "decrypt", "-i", key, sealed])
                XCTAssertEqual(dec.status, 0, dec.description)
                XCTAssertEqual(dec.stdout, try dir.read("plain-\(size)"), "size \(size) armor \(armor)")
            }
        }
    }
}
