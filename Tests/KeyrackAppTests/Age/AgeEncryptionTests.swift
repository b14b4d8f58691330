import AgeFormat
import Foundation
@testable import KeyrackApp
import KeyrackCore
import TestSupport
import XCTest

/// `keyrack age encrypt`'s use case in-process: every way to name a recipient (strings, a
/// recipients file, an identity file), the passphrase asked twice, and the typed errors the CLI
/// renders (a bad recipient names no secret). Files are opened in-process with the identities
/// they were made for; interop with Debian's `age` stays end to end (CLITests/AgeInteropTests).
final class AgeEncryptionTests: XCTestCase {
    private var dir: TempDirectory!
    override func setUpWithError() throws { dir = try TempDirectory("keyrack-age-encrypt") }
    override func tearDown() { dir.remove() }

    /// A new identity file of mode 0600 (keygen's), its path and its identity.
    private func identityFile(_ name: String, postQuantum: Bool = false) throws -> (path: String, key: AgeKeygen.Key, identities: [any Identity]) {
        let key = AgeKeygen.generate(postQuantum: postQuantum)
        let path = dir.file(name).path
        try AgeKeygen.write(key, toNewFile: path)
        return (path, key, try AgeKeyFiles.identities(files: [path], terminal: FakeTerminal()))
    }

    private func seal(_ plain: String, _ request: AgeEncryption.Request, terminal: FakeTerminal = FakeTerminal()) throws -> [UInt8] {
        try Age.encrypt(Array(plain.utf8), to: AgeEncryption.recipients(request, terminal: terminal), armor: false)
    }

    func testStringsRecipientsFilesAndIdentityFilesEachEncryptToTheirKey() throws {
        let a = try identityFile("a.key"), b = try identityFile("b.key"), c = try identityFile("c.key")
        // A recipient string; a second one: either identity opens the file (decrypt tries each).
        let two = try seal("two", .init(recipients: [a.key.publicKey, b.key.publicKey]))
        XCTAssertEqual(try Age.decrypt(two, with: c.identities + b.identities), Array("two".utf8))
        XCTAssertThrowsError(try Age.decrypt(two, with: c.identities))
        // A recipients file with a comment and a blank line, as age-keygen -y's output is kept.
        let file = try dir.write("recipients.txt", Array("# backup\n\n\(a.key.publicKey)\n".utf8), mode: 0o644)
        XCTAssertEqual(try Age.decrypt(try seal("hello", .init(recipientFiles: [file.path])), with: a.identities), Array("hello".utf8))
        // An identity file: its recipient is derived, nothing is asked.
        let terminal = FakeTerminal()
        XCTAssertEqual(try Age.decrypt(try seal("hi", .init(identityFiles: [c.path]), terminal: terminal), with: c.identities), Array("hi".utf8))
        XCTAssertEqual(terminal.asked, [])
    }

    func testABadRecipientIsAUsageErrorThatNamesNoSecret() throws {
        XCTAssertThrowsError(try seal("x", .init(recipients: ["age1notakey"]))) { error in
            guard case .invalidRecipient? = error as? AgeToolError else { return XCTFail("\(error)") }
            XCTAssertTrue((error as! AgeToolError).isUsage)
        }
        XCTAssertThrowsError(try seal("x", .init(recipients: ["AGE-SECRET-KEY-1ABC"]))) { error in
            XCTAssertTrue((error as? AgeToolError)?.isUsage == true, "\(error)")
            XCTAssertFalse("\(error)".contains("AGE-SECRET-KEY-1ABC"), "secrets are not echoed: \(error)")
        }
        // A secret key in a recipients file is refused by line, without quoting it.
        let secret = AgeKeygen.generate(postQuantum: false).fileText
        let file = try dir.write("wrong.txt", Array(secret.utf8))
        XCTAssertThrowsError(try seal("x", .init(recipientFiles: [file.path]))) { error in
            XCTAssertEqual("\(error)", "invalid key: recipients file '\(file.path)' line 3 holds an identity (a secret key), not a recipient")
        }
    }

    func testAPassphraseIsAskedTwiceAndMustBeTheSameAndNotEmpty() throws {
        let terminal = FakeTerminal()
        let enter = SecretRequest.passphrase(prompt: "Enter passphrase: "), confirm = SecretRequest.passphrase(prompt: "Confirm passphrase: ")
        terminal.answers = [enter: Array("correct horse".utf8), confirm: Array("correct horse".utf8)]
        XCTAssertEqual(AgeEncryption.Request(passphrase: true).workFactor, 18, "age's default")
        let sealed = try seal("manifest", .init(passphrase: true, workFactor: 10), terminal: terminal)
        XCTAssertEqual(terminal.asked, [enter, confirm])
        XCTAssertTrue(String(decoding: sealed.prefix(60), as: UTF8.self).hasPrefix("age-encryption.org/v1\n-> scrypt "))
        XCTAssertEqual(try Age.decrypt(sealed, with: [ScryptIdentity(passphrase: Array("correct horse".utf8))]), Array("manifest".utf8))

        terminal.answers[confirm] = Array("correct horse!".utf8)
        XCTAssertThrowsError(try seal("x", .init(passphrase: true), terminal: terminal)) { XCTAssertEqual($0 as? AgeToolError, .passphrasesDiffer) }
        terminal.answers[enter] = []
        XCTAssertThrowsError(try seal("x", .init(passphrase: true), terminal: terminal)) { XCTAssertEqual($0 as? AgeToolError, .emptyPassphrase) }
    }

    /// An identity holding a secret key must be the caller's alone (KeyFile, as every identity
    /// keyrack reads); a missing file is a usage error naming it.
    func testIdentityFilesAreReadByTheOneKeyFileReader() throws {
        let key = AgeKeygen.generate(postQuantum: false)
        let open = try dir.write("open.key", Array(key.fileText.utf8), mode: 0o644)
        XCTAssertThrowsError(try seal("x", .init(identityFiles: [open.path]))) { error in
            XCTAssertEqual((error as? KeyrackError)?.kind, .usage, "\(error)")
            XCTAssertTrue("\(error)".contains("has mode 644, readable by others"), "\(error)")
        }
        let missing = dir.file("nope").path
        XCTAssertThrowsError(try AgeDecryption.run(identityFiles: [missing], input: nil, output: AgeOutput(path: dir.file("o").path), terminal: FakeTerminal())) { error in
            XCTAssertEqual((error as? KeyrackError)?.kind, .usage, "\(error)")
            XCTAssertTrue("\(error)".contains("identity file \(missing) does not exist"), "\(error)")
        }
        let big = try dir.write("big.txt", [UInt8](repeating: 0x23, count: KeyFile.maxBytes + 1))
        XCTAssertThrowsError(try seal("x", .init(recipientFiles: [big.path]))) { error in
            XCTAssertTrue("\(error)".contains("is larger than 1 MiB"), "\(error)")
        }
    }

    func testAPostQuantumIdentityFileGivesItsHybridRecipient() throws {
        let pq = try identityFile("pq.key", postQuantum: true)
        XCTAssertTrue(pq.key.publicKey.hasPrefix("age1pq1"), pq.key.publicKey)
        XCTAssertEqual(try AgeKeygen.recipientLines(identityFile: pq.path, terminal: FakeTerminal()), pq.key.publicKey + "\n")
        XCTAssertEqual(try Age.decrypt(try seal("pq", .init(identityFiles: [pq.path])), with: pq.identities), Array("pq".utf8))
    }

    /// age does not mix a post-quantum recipient with a classic one in one file: refused (an
    /// age-format failure, exit 1, not a usage error) before any output file is made.
    func testMixingPostQuantumWithClassicIsRefusedAndLeavesNoOutput() throws {
        let pq = AgeKeygen.generate(postQuantum: true), classic = AgeKeygen.generate(postQuantum: false)
        let plain = try dir.write("plain", [1, 2, 3]).path
        let out = dir.file("mixed.age").path
        let request = AgeEncryption.Request(recipients: [pq.publicKey, classic.publicKey])
        XCTAssertThrowsError(try AgeEncryption.run(request, input: plain, output: AgeOutput(path: out), armor: false, terminal: FakeTerminal())) { error in
            guard case .incompatibleRecipients? = error as? AgeError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("incompatible recipients"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "no output file when encryption is refused")
    }
}
