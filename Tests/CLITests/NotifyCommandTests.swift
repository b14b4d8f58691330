import Foundation
import TestSupport
import XCTest

/// A slow touch is said on stderr and through notify-send (a FAKE here that records its
/// arguments); `KEYRACK_NOTIFY` names the command a prompt goes to instead (issue 31), with the
/// prompt text, naming who asks, as its one argument. Runs inside scripts/with-simulated-yubikey.
/// The choice of command: KeyrackAppTests/Prompts/TouchNotificationTests.swift.
final class NotifyCommandTests: XCTestCase {
    private var dir: TempDirectory!
    private var card: SimulatedCard!
    override func tearDown() {
        card?.remove()
        dir?.remove()
    }

    /// A card whose age identity has `pinPolicy` and touch `touchPolicy`, a file sealed to it,
    /// the identity stub, a FAKE notify-send on PATH that marks it ran, and `record-notify`, the
    /// KEYRACK_NOTIFY command (a test double) that records how many arguments it got and the first.
    private func setUp(pinPolicy: String, touchPolicy: String) throws -> (stub: String, sealed: String, path: String, recorder: String, log: String, marker: String) {
        dir = try TempDirectory("keyrack-notify")
        card = try SimulatedCard.insert()
        let stub = dir.file("stub.txt").path
        let setup = try Run.keyrack(["yubikey", "setup", "--serial", String(card.serial), "--pin-stdin", "--pin-policy", pinPolicy,
                                     "--touch-policy", touchPolicy, "-o", stub], stdin: Array("123456\n".utf8))
        XCTAssertEqual(setup.status, 0, setup.description)
        let recipient = setup.out.trimmingCharacters(in: .whitespacesAndNewlines).components(separatedBy: "\n").last ?? ""
        XCTAssertTrue(recipient.hasPrefix("age1yubikey1"), setup.out)
        let plain = try dir.write("plain", Array("notify me".utf8))
        let sealed = dir.file("sealed.age").path
        XCTAssertEqual(try Run.keyrack(["age", "encrypt", "-r", recipient, "-o", sealed, plain.path]).status, 0)

        let bin = dir.file("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let marker = dir.file("notify-send-ran").path
        try "#!/bin/sh\n# FAKE notify-send: records its arguments, one per line, then marks that it ran.\nprintf '%s\\n' \"$@\" >> \"\(marker).args\"\ntouch \"\(marker)\"\n"
            .write(to: bin.appendingPathComponent("notify-send"), atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(bin.appendingPathComponent("notify-send").path, 0o755), 0)
        let log = dir.file("notify.log").path
        let recorder = bin.appendingPathComponent("record-notify").path
        try writeRecorder(recorder, log: log)
        let path = bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        return (stub, sealed, path, recorder, log, marker)
    }

    /// `record-notify` at `path`: a stand-in KEYRACK_NOTIFY command (test double) that records its
    /// argument count and its first argument in `log`.
    private func writeRecorder(_ path: String, log: String) throws {
        try "#!/bin/sh\n# record-notify (test double): records its argument count and its first argument.\nprintf '%s|%s\\n' \"$#\" \"$1\" >> \"\(log)\"\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(path, 0o755), 0)
    }

    /// The recorder runs detached: its line, polled for with a deadline.
    private func recorded(_ log: String, containing text: String) -> [String] {
        let deadline = Date().addingTimeInterval(10)
        var lines: [String] = []
        while Date() < deadline {
            lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            if lines.contains(where: { $0.contains(text) }) { break }
            usleep(50_000)
        }
        return lines
    }

    /// Without KEYRACK_NOTIFY, a slow touch is said on stderr and, with a display, sent to
    /// notify-send (summary keyrack), both naming who asks: the program that ran keyrack (this
    /// test process) and the command. When notify-send runs at all: TouchNotificationTests.
    func testASlowTouchPromptsOnStderrAndNotifiesTheDesktop() throws {
        let s = try setUp(pinPolicy: "never", touchPolicy: "always")
        try "1500".write(toFile: card.stateFile + ".touch", atomically: true, encoding: .utf8)
        let dec = try Run.keyrack(["age", "decrypt", "-i", s.stub, s.sealed],
                                  environment: ["DISPLAY": ":99", "WAYLAND_DISPLAY": nil, "PATH": s.path, "KEYRACK_NOTIFY": nil])
        XCTAssertEqual(dec.status, 0, dec.description)
        XCTAssertEqual(dec.out, "notify me")
        let me = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let text = "touch your YubiKey (serial \(card.serial)): requested by \(me) (pid \(getpid())) via keyrack age decrypt"
        XCTAssertTrue(dec.err.contains(text), dec.err)
        let args = recorded(s.marker + ".args", containing: "touch your YubiKey")
        XCTAssertTrue(args.contains("keyrack"), "summary: \(args)")
        XCTAssertEqual(args.filter { $0.hasPrefix("touch your YubiKey") }, [text])
    }

    func testThePINPromptGoesToTheKeyrackNotifyCommandNamingWhoAsks() throws {
        let s = try setUp(pinPolicy: "once", touchPolicy: "never")
        // A path works as well as a name; no display is needed for it.
        let run = try TerminalRun.run(Run.keyrackBinary, ["age", "decrypt", "-i", s.stub, s.sealed],
                                      answers: [("Enter PIN for YubiKey with serial \(card.serial)", "123456")],
                                      environment: ["DISPLAY": nil, "WAYLAND_DISPLAY": nil, "PATH": s.path, "KEYRACK_NOTIFY": s.recorder])
        XCTAssertEqual(run.status, 0, run.transcript)
        let lines = recorded(s.log, containing: "Enter PIN")
        XCTAssertEqual(lines.count, 1, "\(lines)")
        let line = try XCTUnwrap(lines.first)
        XCTAssertTrue(line.hasPrefix("1|Enter PIN for YubiKey with serial \(card.serial)"), line)
        // The program that ran keyrack is TerminalRun's setsid.
        XCTAssertTrue(line.contains(" (3 tries left): requested by "), line)
        XCTAssertTrue(line.hasSuffix(" via keyrack age decrypt"), line)
        XCTAssertFalse(line.contains("123456"), "never the PIN")
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.marker))
    }

    /// The identity agent's touch prompt is the daemon's: the daemon keeps KEYRACK_NOTIFY from
    /// the unlock that started it and runs the command with the prompt (owner, age client, files).
    func testTheIdentityAgentsTouchPromptGoesToTheKeyrackNotifyCommand() throws {
        try XCTSkipIf(SimulatedCard.cardTestsDisabled, "KEYRACK_NO_CARD_TESTS=1")
        card = try SimulatedCard.insert()
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let serial = String(card.serial)
        try h.ok(["init", "--via", "yubikey", "--serial", serial, "--pin-policy", "never", "--touch-policy", "always", "--pin-stdin"], stdin: "123456\n")
        let text = try h.ok(["identity", "--for", "human"]).out
        let idFile = try h.machine.dir.write("identity-human.txt", Array(text.utf8))
        let recipient = try h.ok(["identity", "--recipient"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        let plain = try h.machine.dir.write("t.txt", Array("agent".utf8))
        let sealed = h.machine.dir.file("t.age")
        try h.ok(["age", "encrypt", "-r", recipient, "-o", sealed.path, plain.path])

        let log = h.machine.dir.file("notify.log").path
        let recorder = h.machine.dir.file("record-notify").path
        try writeRecorder(recorder, log: log)
        _ = try h.keyrack(["daemon", "stop"])
        try h.ok(["unlock", "--identity-agent"], env: ["KEYRACK_NOTIFY": recorder, "DISPLAY": nil, "WAYLAND_DISPLAY": nil])

        let venv = ProcessInfo.processInfo.environment["KEYRACK_VENV"].map { $0 + "/bin:" } ?? ""
        try "1500".write(toFile: card.stateFile + ".touch", atomically: true, encoding: .utf8)
        let age = try Run.process("age", ["-d", "-i", idFile.path, sealed.path],
                                  environment: h.environment.merging(["PATH": Run.buildDirectory.path + ":" + venv + "/usr/local/bin:/usr/bin:/bin"]) { $1 })
        XCTAssertEqual(age.status, 0, age.description)
        XCTAssertEqual(age.out, "agent")
        let lines = recorded(log, containing: "for the identity agent of 'human'")
        XCTAssertEqual(lines.count, 1, "\(lines)")
        let line = try XCTUnwrap(lines.first)
        XCTAssertTrue(line.hasPrefix("1|touch your YubiKey (serial \(serial), slot 82): requested by "), line)
        XCTAssertTrue(line.hasSuffix(" for the identity agent of 'human', 1 file"), line)

        // The daemon lives on: the command it started is reaped, no zombie stays its child.
        let daemon = try XCTUnwrap(h.daemonPID("human"))
        let deadline = Date().addingTimeInterval(10)
        while !ProcessTable.zombies(childrenOf: daemon).isEmpty, Date() < deadline { usleep(50_000) }
        XCTAssertEqual(ProcessTable.zombies(childrenOf: daemon), [], "a notification command left a zombie under the daemon")
    }
}
