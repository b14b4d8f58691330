import AgeFormat
import Foundation
@testable import KeyrackApp
import KeyrackCore
import TestSupport
import XCTest

/// `keyrack age decrypt`'s use case in-process: a passphrase file asks only then and a wrong
/// passphrase is named as such; a file to recipients without an identity says which kinds it
/// needs; a wrong key or a truncated file leaves no output file behind (and says it removed
/// one). The CLI's rendering of these stays in CLITests/AgeInteropTests.
final class AgeDecryptionTests: XCTestCase {
    private var dir: TempDirectory!
    override func setUpWithError() throws { dir = try TempDirectory("keyrack-age-decrypt") }
    override func tearDown() { dir.remove() }

    private let enter = SecretRequest.passphrase(prompt: "Enter passphrase: ")

    private func sealed(_ name: String, _ plain: [UInt8], to recipients: [any Recipient]) throws -> String {
        try dir.write(name, try Age.encrypt(plain, to: recipients, armor: false)).path
    }

    func testAPassphraseFileAsksOnceAndAWrongPassphraseIsNamedWithNoOutputLeft() throws {
        let file = try sealed("p.age", Array("secret manifest".utf8), to: [ScryptRecipient(passphrase: Array("pw".utf8), workFactor: 10)])
        let terminal = FakeTerminal()
        terminal.answers = [enter: Array("pw".utf8)]
        let out = dir.file("out").path
        try AgeDecryption.run(identityFiles: [], input: file, output: AgeOutput(path: out), terminal: terminal)
        XCTAssertEqual(try dir.read("out"), Array("secret manifest".utf8))
        XCTAssertEqual(terminal.asked, [enter])

        terminal.answers = [enter: Array("pwx".utf8)]
        let wrong = dir.file("wrong").path
        XCTAssertThrowsError(try AgeDecryption.run(identityFiles: [], input: file, output: AgeOutput(path: wrong), terminal: terminal)) { error in
            XCTAssertEqual(error as? AgeToolError, .wrongPassphrase)
            XCTAssertFalse((error as! AgeToolError).isUsage)
            XCTAssertEqual("\(error)", "incorrect passphrase for this passphrase-encrypted file; try again (passphrases are case-sensitive)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: wrong), "no output file on failure")
    }

    func testAFileToRecipientsWithoutAnIdentityNamesItsKindsAndAsksNothing() throws {
        let key = AgeKeygen.generate(postQuantum: false)
        let file = try sealed("r.age", [1, 2, 3], to: [try AgeKeyFiles.recipient(key.publicKey)])
        let terminal = FakeTerminal()
        XCTAssertThrowsError(try AgeDecryption.run(identityFiles: [], input: file, output: AgeOutput(path: dir.file("o").path), terminal: terminal)) { error in
            XCTAssertEqual(error as? AgeToolError, .needsIdentity(kinds: ["X25519"]))
            XCTAssertTrue((error as! AgeToolError).isUsage)
        }
        XCTAssertEqual(terminal.asked, [])
    }

    func testAWrongIdentityLeavesNoOutputFile() throws {
        let a = AgeKeygen.generate(postQuantum: false), other = AgeKeygen.generate(postQuantum: false)
        let file = try sealed("w.age", Array("secret".utf8), to: [try AgeKeyFiles.recipient(a.publicKey)])
        let otherPath = dir.file("other.key").path
        try AgeKeygen.write(other, toNewFile: otherPath)
        let out = dir.file("out").path
        XCTAssertThrowsError(try AgeDecryption.run(identityFiles: [otherPath], input: file, output: AgeOutput(path: out), terminal: FakeTerminal())) { error in
            guard case .noMatchingIdentity? = error as? AgeError else { return XCTFail("\(error)") }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "no output file for a wrong key")
    }

    /// A file cut after its first chunk: the command fails and the output file is removed, and
    /// the caller hears which file was removed.
    func testATruncatedFileRemovesItsOutputAndSaysSo() throws {
        let key = AgeKeygen.generate(postQuantum: false)
        let keyPath = dir.file("k.key").path
        try AgeKeygen.write(key, toNewFile: keyPath)
        let whole = try Age.encrypt(randomBytes(3 * 65536 + 100), to: [try AgeKeyFiles.recipient(key.publicKey)], armor: false)
        let cut = try dir.write("cut.age", Array(whole.prefix(whole.count - (65536 + 100 + 32)))).path
        let out = dir.file("plain").path
        var removed: [String] = []
        XCTAssertThrowsError(try AgeDecryption.run(identityFiles: [keyPath], input: cut, output: AgeOutput(path: out, removed: { removed.append($0) }),
                                                   terminal: FakeTerminal())) { error in
            XCTAssertEqual(error as? AgeError, .truncated)
        }
        XCTAssertEqual(removed, [out])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testAMissingInputIsNamedWithWhatToCheck() throws {
        let missing = dir.file("absent.age").path
        XCTAssertThrowsError(try AgeDecryption.run(identityFiles: [], input: missing, output: AgeOutput(path: nil), terminal: FakeTerminal())) { error in
            XCTAssertEqual("\(error)", "cannot open input '\(missing)': No such file or directory; check the path")
        }
    }
}
