import AgeFormat
import Foundation
@testable import KeyrackApp
import KeyrackCore
import TestSupport
import XCTest

/// ssh keys made by `ssh-keygen` as `keyrack age` recipients and identities, in-process: the
/// `.pub` line and the protected private key both encrypt to the key without its passphrase;
/// the passphrase is asked once, only when a stanza is for the key, and a wrong one is named and
/// not retried; an unsupported key type is named. Interop with `age` is CLITests/SSHInteropTests.
final class AgeSSHKeyTests: XCTestCase {
    private var dir: TempDirectory!
    override func setUpWithError() throws { dir = try TempDirectory("keyrack-age-ssh") }
    override func tearDown() { dir.remove() }

    private func sshKeygen(_ type: String, passphrase: String = "") throws -> (path: String, publicLine: String) {
        let path = dir.file("\(type)-\(UUID().uuidString.prefix(6))").path
        let made = try Run.process("ssh-keygen", ["-q", "-t", type, "-N", passphrase, "-C", "test@keyrack", "-f", path])
        XCTAssertEqual(made.status, 0, "\(made)")
        return (path, try String(contentsOfFile: path + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func testAProtectedKeyEncryptsWithoutItsPassphraseAndDecryptsAskingOnce() throws {
        let passphrase = "pw-" + UUID().uuidString
        let key = try sshKeygen("ed25519", passphrase: passphrase)
        let plain = try dir.write("plain", randomBytes(1000)).path
        let ask = SecretRequest.passphrase(prompt: "Enter passphrase for ssh key '\(key.path)': ")
        for request in [AgeEncryption.Request(recipientFiles: [key.path + ".pub"]), AgeEncryption.Request(identityFiles: [key.path])] {
            let terminal = FakeTerminal()
            let sealed = dir.file("s.age").path
            try? FileManager.default.removeItem(atPath: sealed)
            try AgeEncryption.run(request, input: plain, output: AgeOutput(path: sealed), armor: false, terminal: terminal)
            XCTAssertEqual(terminal.asked, [], "encrypting needs no passphrase: \(request)")

            terminal.answers = [ask: Array(passphrase.utf8)]
            let out = dir.file("out").path
            try? FileManager.default.removeItem(atPath: out)
            try AgeDecryption.run(identityFiles: [key.path], input: sealed, output: AgeOutput(path: out), terminal: terminal)
            XCTAssertEqual(try dir.read("out"), try dir.read("plain"))
            XCTAssertEqual(terminal.asked, [ask])
        }
    }

    func testAWrongPassphraseIsNamedAndNotRetried() throws {
        let key = try sshKeygen("ed25519", passphrase: "right")
        let sealed = try dir.write("s.age", try Age.encrypt(Array("manifest".utf8), to: [try AgeKeyFiles.recipient(key.publicLine)], armor: false)).path
        let terminal = FakeTerminal()
        let ask = SecretRequest.passphrase(prompt: "Enter passphrase for ssh key '\(key.path)': ")
        terminal.answers = [ask: Array("wrong".utf8)]
        let out = dir.file("out").path
        XCTAssertThrowsError(try AgeDecryption.run(identityFiles: [key.path], input: sealed, output: AgeOutput(path: out), terminal: terminal)) { error in
            XCTAssertTrue("\(error)".contains("wrong passphrase for the SSH private key"), "\(error)")
        }
        XCTAssertEqual(terminal.asked, [ask], "asked once")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testAnUnsupportedKeyTypeIsNamedAsRecipientAndAsIdentity() throws {
        let key = try sshKeygen("ecdsa")
        XCTAssertThrowsError(try AgeKeyFiles.recipient(key.publicLine)) { error in
            XCTAssertTrue((error as? AgeToolError)?.isUsage == true, "a bad recipient is a usage error: \(error)")
            XCTAssertTrue("\(error)".contains("ecdsa-sha2-nistp256 is not supported"), "\(error)")
        }
        XCTAssertThrowsError(try AgeKeyFiles.identities(files: [key.path], terminal: FakeTerminal())) { error in
            XCTAssertNil(error as? AgeToolError, "a key file's problem, not the command line's")
            XCTAssertTrue("\(error)".contains("ecdsa-sha2-nistp256 is not supported"), "\(error)")
        }
    }
}
