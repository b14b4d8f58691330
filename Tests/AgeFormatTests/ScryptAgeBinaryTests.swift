import Foundation
import XCTest
import TestSupport
@testable import AgeFormat

/// Passphrase (scrypt) files between AgeFormat and Debian's `age` 1.1.1, both directions, binary
/// and armored. `age` reads a passphrase only from its controlling terminal, so its runs go
/// through a pseudo-terminal (`TerminalRun`). (Moved in-process from CLITests/ScryptInteropTests.)
final class ScryptAgeBinaryTests: XCTestCase {
    var dir: TempDirectory!
    var passphrase = ""

    override func setUpWithError() throws {
        dir = try TempDirectory("scrypt-age")
        // A fresh test passphrase per run, never a constant in the repo.
        passphrase = "pw-" + randomBytes(9).map { String(format: "%02x", $0) }.joined()
    }
    override func tearDown() { dir?.remove() }

    func testAgeEncryptsWeDecrypt() throws {
        for (size, armor) in [(0, false), (1, true), (65536, false), (65536, true), (5 << 20, false), (3 << 20 + 7, true)] {
            let plain = randomBytes(size)
            let input = try dir.write("plain-\(size)", plain)
            let sealed = dir.file("age-\(size)-\(armor).age").path
            let enc = try TerminalRun.run("age", ["-p"] + (armor ? ["-a"] : []) + ["-o", sealed, input.path],
                                          answers: [("Enter passphrase", passphrase), ("Confirm passphrase", passphrase)])
            XCTAssertEqual(enc.status, 0, "age -p failed: \(enc.transcript)")
            let file = try dir.read("age-\(size)-\(armor).age")
            XCTAssertTrue(armor ? file.starts(with: Array("-----BEGIN AGE ENCRYPTED FILE-----".utf8))
                                : String(decoding: file.prefix(40), as: UTF8.self).contains("-> scrypt "), "age wrote no scrypt stanza")
            XCTAssertEqual(try Age.decrypt(file, with: [ScryptIdentity(passphrase: Array(passphrase.utf8))]), plain, "size \(size) armor \(armor)")
        }
    }

    /// Work factor 18, what `keyrack age encrypt -p` writes (age's default).
    func testWeEncryptAgeDecrypts() throws {
        for (size, armor) in [(0, true), (1, false), (65536, false), (65536, true), (5 << 20, true), (3 << 20 + 7, false)] {
            let plain = randomBytes(size)
            let file = try Age.encrypt(plain, to: [ScryptRecipient(passphrase: Array(passphrase.utf8), workFactor: 18)], armor: armor)
            if !armor {
                let text = String(decoding: file.prefix(80), as: UTF8.self)
                XCTAssertTrue(text.hasPrefix("age-encryption.org/v1\n-> scrypt "), text)
                XCTAssertTrue(text.contains(" 18\n"), text)
            }
            let sealed = try dir.write("ours-\(size)-\(armor).age", file)
            let out = dir.file("age-out-\(size)-\(armor)").path
            let dec = try TerminalRun.run("age", ["-d", "-o", out, sealed.path], answers: [("Enter passphrase", passphrase)])
            XCTAssertEqual(dec.status, 0, "age -d failed on our file (size \(size), armor \(armor)): \(dec.transcript)")
            // age 1.1.1 opens -o lazily, at the first plaintext byte: an empty file leaves no output.
            let decrypted = size == 0 && !FileManager.default.fileExists(atPath: out) ? [] : try dir.read("age-out-\(size)-\(armor)")
            XCTAssertEqual(decrypted, plain, "size \(size) armor \(armor)")
        }
    }

    /// A wrong passphrase on age's file is "no identity matched" of an scrypt stanza (what the CLI
    /// turns into "incorrect passphrase"), and the error never carries the passphrase.
    func testWrongPassphraseOnAgesFile() throws {
        let input = try dir.write("plain", Array("secret manifest".utf8))
        let sealed = dir.file("p.age").path
        let enc = try TerminalRun.run("age", ["-p", "-o", sealed, input.path],
                                      answers: [("Enter passphrase", passphrase), ("Confirm passphrase", passphrase)])
        XCTAssertEqual(enc.status, 0, enc.transcript)
        let file = try dir.read("p.age")
        XCTAssertThrowsError(try Age.decrypt(file, with: [ScryptIdentity(passphrase: Array((passphrase + "x").utf8))])) { error in
            XCTAssertEqual(error as? AgeError, .noMatchingIdentity(stanzaTypes: ["scrypt"]))
            XCTAssertFalse("\(error)".contains(self.passphrase))
        }
        XCTAssertEqual(try Age.decrypt(file, with: [ScryptIdentity(passphrase: Array(passphrase.utf8))]), Array("secret manifest".utf8))
    }
}
