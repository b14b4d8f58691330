import Foundation
import TestSupport
import XCTest

/// Secret prompts: ^C at a passphrase prompt leaves the terminal echoing again (checked with
/// `stty -a` on the same pty afterwards), and without a terminal a KEYRACK_ASKPASS program asks,
/// as SSH_ASKPASS does for ssh.
final class PromptTests: XCTestCase {
    /// An owner whose ssh key has a passphrase, so opening its manifest asks for it.
    private func protectedOwner(_ h: ManifestHarness) throws -> String {
        let passphrase = "pp-" + UUID().uuidString
        let key = h.home.appendingPathComponent(".ssh/id_ed25519")
        let made = try Run.process("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", "prompt-test", "-f", key.path])
        XCTAssertEqual(made.status, 0, "\(made)")
        try h.ok(["init", "--via", "ssh", "--pubkey", key.path + ".pub"])
        return passphrase
    }

    func testCtrlCAtAPassphrasePromptRestoresEcho() throws {
        let h = try ManifestHarness()
        _ = try protectedOwner(h)
        var settings = ""
        let r = try TerminalRun.run(Run.keyrackBinary, ["list"], answers: [("passphrase", "\u{3}")], timeout: 60, environment: h.environment) { tty in
            settings = try Run.process("stty", ["-a", "-F", tty]).out
        }
        XCTAssertNotEqual(r.status, 0, r.transcript)
        let flags = settings.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == ";" })
        XCTAssertTrue(flags.contains("echo") && !flags.contains("-echo"), "echo is off after ^C at the prompt:\n\(settings)")
        XCTAssertTrue(flags.contains("icanon"), settings)
    }

    func testAskpassAnswersWhenThereIsNoTerminal() throws {
        let h = try ManifestHarness()
        let passphrase = try protectedOwner(h)
        let seen = h.dir.file("askpass-prompt")
        let askpass = try h.dir.write("askpass", Array("#!/bin/sh\nprintf '%s' \"$1\" > '\(seen.path)'\ncat '\(h.dir.file("answer").path)'\n".utf8), mode: 0o700)
        _ = try h.dir.write("answer", Array("\(passphrase)\n".utf8))
        // setsid: a new session without a controlling terminal, so /dev/tty cannot be opened.
        func list(_ env: [String: String?]) throws -> RunResult {
            var e = h.environment
            for (k, v) in env { e[k] = v }
            return try Run.process("/usr/bin/setsid", ["-w", Run.keyrackBinary, "list"], environment: e, currentDirectory: h.dir.url)
        }
        let none = try list(["KEYRACK_ASKPASS": nil])
        XCTAssertEqual(none.status, 2, "\(none)")
        XCTAssertTrue(none.err.contains("no terminal") && none.err.contains("KEYRACK_ASKPASS"), none.err)
        XCTAssertTrue(none.err.contains("; pipe it on stdin where the command offers a --*-stdin option"), "the CLI words the remedy: \(none.err)")

        let asked = try list(["KEYRACK_ASKPASS": askpass.path])
        XCTAssertEqual(asked.status, 0, "\(asked)")
        XCTAssertTrue(try String(contentsOf: seen, encoding: .utf8).hasPrefix("passphrase for ssh key"), "the prompt is the program's argument")
        XCTAssertFalse(asked.out.contains(passphrase) || asked.err.contains(passphrase))

        let refusing = try h.dir.write("refuse", Array("#!/bin/sh\nexit 1\n".utf8), mode: 0o700)
        let cancelled = try list(["KEYRACK_ASKPASS": refusing.path])
        XCTAssertEqual(cancelled.status, 1, "\(cancelled)")
        XCTAssertTrue(cancelled.err.contains("KEYRACK_ASKPASS program '\(refusing.path)' exited 1"), cancelled.err)
        // KEYRACK_ASKPASS_REQUIRE=never turns it off.
        XCTAssertEqual(try list(["KEYRACK_ASKPASS": askpass.path, "KEYRACK_ASKPASS_REQUIRE": "never"]).status, 2)
    }
}
