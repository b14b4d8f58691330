import Foundation
import TestSupport
import XCTest

/// A person types the YubiKey PIN at the real prompt of `keyrack unlock`, in a real terminal
/// (tmux): the PIN must not be echoed, must not be left in the scrollback, and the unlock must
/// succeed. Runs inside scripts/with-simulated-yubikey (card) with tmux from scripts/install-deps.
final class TerminalPINTests: XCTestCase {
    func testPINTypedAtUnlockPromptIsNeitherEchoedNorInScrollback() throws {
        for policy in ["once", "always"] {
            try unlockAtTerminal(pinPolicy: policy)
        }
    }

    private func unlockAtTerminal(pinPolicy: String) throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let s = String(card.serial)
        let pin = randomPIN()
        let value = "terminal-test-\(UUID().uuidString.prefix(8))"
        try h.ok(["yubikey", "change-pin", "--serial", s, "--pin-stdin"], stdin: "123456\n\(pin)\n")
        try h.ok(["init", "--via", "yubikey", "--serial", s, "--pin-policy", pinPolicy, "--touch-policy", "never", "--pin-stdin"],
                 stdin: "\(pin)\n")
        // `set` opens the manifest (PIN) and reads the value: both typed at a pty.
        let set = try h.terminal(["set", "--key", "GITHUB_TOKEN", "--env", "prod", "--org", "acme", "--vault", "os.secure"],
                                 answers: [("value for", value), ("PIN", pin)])
        XCTAssertEqual(set.status, 0, set.transcript)
        // `set` verified the PIN, and a YubiKey keeps a PIN verified until it is reset: pull the
        // card and plug it back in (same state, new session), so the unlock must ask again.
        card.remove()
        let replugged = try SimulatedCard.insert(port: card.port, stateFile: card.stateFile)
        defer { replugged.remove() }

        // A private tmux server, a shell in a wide window; the unlock is typed as a person would.
        let socket = h.machine.dir.file("tmux.sock").path
        // Through bash, which closes every inherited descriptor above 2 before exec'ing tmux:
        // Foundation's Process learns that a child exited when the last holder of a descriptor
        // it passes down closes it, and the tmux server (which outlives `new-session`) would
        // otherwise hold it for good and hang the test in waitUntilExit.
        let closeAndExec = "for fd in $(ls /proc/$$/fd); do [ \"$fd\" -gt 2 ] && eval \"exec $fd>&-\"; done 2>/dev/null; exec tmux \"$@\""
        func tmux(_ args: [String]) throws -> RunResult {
            try Run.process("/bin/bash", ["-c", closeAndExec, "tmux", "-S", socket] + args)
        }
        defer { _ = try? tmux(["kill-server"]) }
        var started = try tmux(["new-session", "-d", "-s", "pin", "-x", "160", "-y", "40", "env", "-i", "PATH=/usr/bin:/bin",
                                "HOME=\(h.machine.home.path)", "KEYRACK_HOME=\(h.machine.keyrackHome.path)", "XDG_RUNTIME_DIR=\(h.runtime.path)",
                                "TERM=xterm", "bash", "--norc", "--noprofile"])
        XCTAssertEqual(started.status, 0, started.description)
        started = try tmux(["send-keys", "-t", "pin", "-l", "\(Run.keyrackBinary) unlock --env prod; echo \"EXIT=$?\"\n"])
        XCTAssertEqual(started.status, 0, started.description)

        let prompt = try waitForScreen(tmux, containing: "Enter PIN")
        XCTAssertTrue(prompt.contains("Enter PIN for YubiKey with serial \(s)"), prompt)
        XCTAssertEqual(try tmux(["send-keys", "-t", "pin", "-l", pin]).status, 0)
        XCTAssertEqual(try tmux(["send-keys", "-t", "pin", "Enter"]).status, 0)
        // At a line's start: the typed command line itself holds `EXIT=$?`.
        let screen = try waitForScreen(tmux, containing: "EXIT=", atLineStart: true)

        XCTAssertTrue(screen.contains("EXIT=0"), "unlock succeeded (pin policy \(pinPolicy)):\n\(screen)")
        XCTAssertTrue(screen.contains("acme.prod.GITHUB_TOKEN"), screen)
        XCTAssertFalse(screen.contains(pin), "the PIN is neither echoed nor left in the scrollback (pin policy \(pinPolicy)):\n\(screen)")
        XCTAssertFalse(screen.contains(value), "no value on screen")
        let got = try h.keyrack(["get", "--key", "GITHUB_TOKEN", "--env", "prod", "--value"])
        XCTAssertEqual(got.status, 0, got.description)
        XCTAssertEqual(got.out, value, "the unlocked value is the one set")
    }

    /// Polls the whole scrollback (`capture-pane -p -S -`) until it holds `text`; fails after 60 s.
    private func waitForScreen(_ tmux: ([String]) throws -> RunResult, containing text: String,
                               atLineStart: Bool = false) throws -> String {
        let deadline = Date().addingTimeInterval(60)
        var screen = ""
        while Date() < deadline {
            screen = try tmux(["capture-pane", "-p", "-J", "-S", "-", "-t", "pin"]).out
            let found = atLineStart ? screen.split(separator: "\n").contains { $0.hasPrefix(text) } : screen.contains(text)
            if found { return screen }
            usleep(50_000)
        }
        XCTFail("'\(text)' never appeared on the terminal:\n\(screen)")
        return screen
    }
}
