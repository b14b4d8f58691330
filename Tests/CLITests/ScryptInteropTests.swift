import Foundation
import XCTest
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `keyrack age encrypt -p` / `decrypt` with Debian's `age` 1.1.1 end to end: one file each way
/// and the CLI's refusal to mix -p with recipients (a wrong passphrase: KeyrackAppTests/Age/
/// AgeDecryptionTests). The format both ways at the chunk-boundary sizes is
/// AgeFormatTests/ScryptAgeBinaryTests, in-process against the same `age`.
///
/// Both programs read passphrases only from the controlling terminal, never from stdin or argv, so
/// each run gets a fresh pseudo-terminal as its controlling tty (`setsid -w -c`), and the test
/// types the passphrase when the prompt is on screen *and* the program has turned echo off (that
/// is the moment it reads; typing earlier races a TCSAFLUSH and the keystrokes are lost).
final class ScryptInteropTests: XCTestCase {
    var dir: TempDirectory!
    var passphrase = ""

    override func setUpWithError() throws {
        dir = try TempDirectory("keyrack-scrypt")
        // A fresh test passphrase per run, never a constant in the repo.
        passphrase = "pw-" + randomBytes(9).map { String(format: "%02x", $0) }.joined()
        try assertKeyrackAndAgeInstalled()
    }

    override func tearDown() { dir?.remove() }

    // MARK: age → keyrack

    func testAgeEncryptsKeyrackDecrypts() throws {
        for (size, armor) in [(65536, true)] {
            let plain = try dir.write("plain-\(size)", randomBytes(size))
            let sealed = dir.file("age-\(size)-\(armor).age").path
            let enc = try TerminalRun.run("age", ["-p"] + (armor ? ["-a"] : []) + ["-o", sealed, plain.path],
                                          answers: [("Enter passphrase", passphrase), ("Confirm passphrase", passphrase)])
            XCTAssertEqual(enc.status, 0, "age -p failed: \(enc.transcript)")
            let header = try dir.read("age-\(size)-\(armor).age").prefix(armor ? 34 : 40)
            XCTAssertTrue(armor ? header.starts(with: Array("-----BEGIN AGE ENCRYPTED FILE-----".utf8))
                                : String(decoding: header, as: UTF8.self).contains("-> scrypt "), "age wrote no scrypt stanza")

            let out = dir.file("kr-out-\(size)-\(armor)").path
            let dec = try TerminalRun.run(Run.keyrackBinary, ["age", "decrypt", "-o", out, sealed],
                                          answers: [("passphrase", passphrase)])
            XCTAssertEqual(dec.status, 0, "keyrack age decrypt failed (size \(size), armor \(armor)): \(dec.transcript)")
            XCTAssertEqual(try dir.read("kr-out-\(size)-\(armor)"), try dir.read("plain-\(size)"), "size \(size) armor \(armor)")
        }
    }

    // MARK: keyrack → age

    func testKeyrackEncryptsAgeDecrypts() throws {
        for (size, armor) in [(3 << 20 + 7, false)] {
            let plain = try dir.write("plain-\(size)", randomBytes(size))
            let sealed = dir.file("kr-\(size)-\(armor).age").path
            let enc = try TerminalRun.run(Run.keyrackBinary, ["age", "encrypt", "-p"] + (armor ? ["-a"] : []) + ["-o", sealed, plain.path],
                                          answers: [("Enter passphrase", passphrase), ("Confirm passphrase", passphrase)])
            XCTAssertEqual(enc.status, 0, "keyrack age encrypt -p failed: \(enc.transcript)")
            let bytes = try dir.read("kr-\(size)-\(armor).age")
            if !armor {
                let text = String(decoding: bytes.prefix(80), as: UTF8.self)
                XCTAssertTrue(text.hasPrefix("age-encryption.org/v1\n-> scrypt "), text)
                XCTAssertTrue(text.contains(" 18\n"), "age's default work factor 18: \(text)")
            }

            let out = dir.file("age-out-\(size)-\(armor)").path
            let dec = try TerminalRun.run("age", ["-d", "-o", out, sealed], answers: [("Enter passphrase", passphrase)])
            XCTAssertEqual(dec.status, 0, "age -d failed on keyrack's file (size \(size), armor \(armor)): \(dec.transcript)")
            // age 1.1.1 opens -o lazily, at the first plaintext byte: an empty file leaves no output.
            let decrypted = size == 0 && !FileManager.default.fileExists(atPath: out) ? [] : try dir.read("age-out-\(size)-\(armor)")
            XCTAssertEqual(decrypted, try dir.read("plain-\(size)"), "size \(size) armor \(armor)")
        }
    }

    // MARK: failures

    func testPassphraseCannotBeMixedWithRecipients() throws {
        let plain = try dir.write("plain", [1, 2, 3])
        let key = try Run.process("age-keygen", [])
        let recipient = key.err.components(separatedBy: "Public key: ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        XCTAssertTrue(recipient.hasPrefix("age1"), key.description)
        let run = try Run.keyrack(["age", "encrypt", "-p", "-r", recipient, "-o", dir.file("x.age").path, plain.path])
        XCTAssertEqual(run.status, 2, "a usage error: \(run)")
        XCTAssertTrue(run.err.contains("passphrase"), run.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("x.age").path))
    }
}
