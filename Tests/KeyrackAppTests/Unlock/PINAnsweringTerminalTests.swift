import Foundation
@testable import KeyrackApp
import KeyrackClient
import KeyrackCore
import TestSupport
import XCTest

/// `--pin-stdin` / `--pin-file` answer PIN requests, by kind, and nothing else; the PIN is read
/// once however many PINs an unlock needs (the manifest's card, an OpenBao cert login, a JWT).
final class PINAnsweringTerminalTests: XCTestCase {
    func testOnlyPINRequestsAreAnsweredAndThePINIsReadOnce() throws {
        let base = FakeTerminal()
        let passphrase = SecretRequest.passphrase(prompt: "passphrase for ssh key /k: ")
        base.answers[passphrase] = Array("pass".utf8)
        var reads = 0
        let terminal = PINAnsweringTerminal(base: base) { reads += 1; return Array("123456".utf8) }
        XCTAssertEqual(reads, 0, "nothing read until a PIN is asked")
        XCTAssertEqual(try terminal.ask(.pin(prompt: "Enter PIN for YubiKey with serial 7: ")), Array("123456".utf8))
        XCTAssertEqual(try terminal.ask(.pin(prompt: "Enter PIN for YubiKey with serial 7 (2 tries left): ")), Array("123456".utf8))
        XCTAssertEqual(reads, 1)
        XCTAssertEqual(try terminal.ask(passphrase), Array("pass".utf8))
        XCTAssertThrowsError(try terminal.ask(.value(prompt: "value for a.b.C (not echoed): ")))
        XCTAssertEqual(base.asked, [passphrase, .value(prompt: "value for a.b.C (not echoed): ")], "a PIN-ish word in a prompt routes nothing")
        terminal.notice(.touch(serial: 7))
        XCTAssertEqual(base.notices, [.touch(serial: 7)], "a touch is passed on, typed")
        XCTAssertEqual(Notice.touch(serial: 7).text, "touch your YubiKey (serial 7)")
        // The core's shape of it routes the same way.
        XCTAssertEqual(try terminal.interaction.secret(.pin(prompt: "Enter the TPM PIN: ")), Array("123456".utf8))
    }

    func testThePINFileRuleFirstLineOfAPrivateRegularFile() throws {
        let dir = try TempDirectory("keyrack-pin")
        defer { dir.remove() }
        let file = dir.file("pin")
        try Data("654321\r\nsecond line\n".utf8).write(to: file)
        XCTAssertEqual(chmod(file.path, 0o600), 0)
        XCTAssertEqual(try PINSource.read(.file(file.path)), Array("654321".utf8))
        XCTAssertNil(try PINSource.read(.terminal))
        XCTAssertEqual(chmod(file.path, 0o640), 0)
        XCTAssertThrowsError(try PINSource.read(.file(file.path)))
        try Data().write(to: dir.file("empty"))
        XCTAssertEqual(chmod(dir.file("empty").path, 0o600), 0)
        XCTAssertThrowsError(try PINSource.read(.file(dir.file("empty").path))) { error in
            XCTAssertEqual((error as? UsageError)?.message, "the PIN file \(dir.file("empty").path) is empty")
        }
        XCTAssertEqual(symlink(file.path, dir.file("link").path), 0)
        XCTAssertThrowsError(try PINSource.read(.file(dir.file("link").path))) { error in
            XCTAssertTrue(((error as? UsageError)?.message ?? "").hasSuffix("(a symlink: name the file itself)"), "\(error)")
        }
        XCTAssertEqual(PrivateFile.problem(path: "/p", what: "PIN file", owner: 1001, mode: 0o100600, uid: 0),
                       "the PIN file /p belongs to uid 1001, not to you (uid 0): keep it in a file only you own")
        XCTAssertEqual(PINSource.lines(Array("a\r\nb\n".utf8)), [Array("a".utf8), Array("b".utf8), []])
    }
}
