import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Secret prompts: ^C at a passphrase prompt leaves the terminal echoing again (its settings read
/// on the same pty afterwards), and without a terminal a KEYRACK_ASKPASS program asks, as
/// SSH_ASKPASS does for ssh.
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
        try ctrlCAtThePassphrasePrompt(of: try promptingOwner())
    }

    // A person's ^C reaches the prompt whatever signal state the test process is in: the
    // terminal's program starts as a terminal starts it, with every signal at its default and
    // none blocked, and its end is seen without Foundation's Process. Each of these once made the
    // test above hang until its timeout, the prompt still on the terminal (TerminalRun says how).

    /// A test runner started as a background job of a script (`cmd &`), or under nohup, has
    /// SIGINT ignored; keyrack rightly keeps an ignored SIGINT ignored, so it must not inherit it.
    func testCtrlCReachesThePromptWhenTheTestProcessIgnoresSIGINT() throws {
        let h = try promptingOwner()
        let before = signal(SIGINT, SIG_IGN)
        defer { signal(SIGINT, before) }
        try ctrlCAtThePassphrasePrompt(of: h, timeout: 20)
    }

    /// A signal blocked in the thread that starts the program is blocked in the program too.
    func testCtrlCReachesThePromptWhenTheTestThreadBlocksSIGINT() throws {
        let h = try promptingOwner()
        var interrupt = sigset_t(), previous = sigset_t()
        sigemptyset(&interrupt)
        sigaddset(&interrupt, SIGINT)
        pthread_sigmask(SIG_BLOCK, &interrupt, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try ctrlCAtThePassphrasePrompt(of: h, timeout: 20)
    }

    /// Foundation's Process learns of an exit on its one monitor thread, which blocks in waitpid
    /// on any child of the test process that closed the descriptors it inherited and lives on
    /// (TestSupport's Spawned says the same of the daemon): until that child ends, no Process in
    /// the whole test run is seen to exit.
    func testCtrlCAtThePromptEndsTheRunWhileAnotherChildStallsFoundationsProcessMonitor() throws {
        let h = try promptingOwner()
        let staller = Process()
        staller.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
        staller.arguments = ["-e", "use POSIX; POSIX::close($_) for 3 .. 1023; sleep 60"]
        try staller.run()
        defer { staller.terminate(); staller.waitUntilExit() }
        try ctrlCAtThePassphrasePrompt(of: h, timeout: 20)
    }

    /// A manifest whose opening asks for a passphrase on the terminal.
    private func promptingOwner() throws -> ManifestHarness {
        let h = try ManifestHarness()
        _ = try protectedOwner(h)
        return h
    }

    /// ^C typed at `list`'s passphrase prompt once echo is off: keyrack dies of it and leaves the
    /// terminal echoing and editing lines again (read from the pty once keyrack has exited, with
    /// no other program: a stalled Process would stall `stty` too).
    private func ctrlCAtThePassphrasePrompt(of h: ManifestHarness, timeout: TimeInterval = 60) throws {
        var left = termios()
        var readBack = false
        let r = try TerminalRun.run(Run.keyrackBinary, ["list"], answers: [("passphrase", "\u{3}")], timeout: timeout,
                                    environment: h.environment) { tty in
            let fd = open(tty, O_RDONLY | O_NOCTTY | O_CLOEXEC)
            defer { if fd >= 0 { close(fd) } }
            readBack = fd >= 0 && tcgetattr(fd, &left) == 0
        }
        XCTAssertEqual(r.status, 128 + SIGINT, "keyrack did not die of the ^C: \(r.transcript)")
        XCTAssertTrue(readBack, "the terminal's settings could not be read after the run")
        XCTAssertNotEqual(left.c_lflag & tcflag_t(ECHO), 0, "echo is off after ^C at the prompt")
        XCTAssertNotEqual(left.c_lflag & tcflag_t(ICANON), 0, "line editing is off after ^C at the prompt")
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
