import Foundation
import TestSupport
import XCTest

/// Issue 10, item 7: errors say the truth. A busy daemon, an over-long or garbled key name, a
/// key of an owner that was never initialised: each its own message and exit code, never the
/// "if keyrack was just upgraded" guess, and echoed input never carries a control character.
final class TruthfulErrorTests: XCTestCase {
    private var h: DaemonHarness!

    override func setUpWithError() throws { h = try DaemonHarness() }
    override func tearDown() { h.tearDown() }

    private func seed() throws {
        try h.sshOwner("bot")
        try h.ok(["set", "--for", "bot", "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "v")
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
    }

    func testOverLongAndGarbledKeyNamesAreUsageErrorsWithEscapedEcho() throws {
        try seed()
        let long = String(repeating: "K", count: 2000)
        for args in [["get", "--for", "bot", "--key", long, "--env", "test", "--value"],
                     ["exec", "--for", "bot", "--env", "test", "--key", long, "--", "/bin/true"]] {
            let r = try h.keyrack(args)
            print("keyrack \(args[0]) --key <2000 bytes> -> exit \(r.status): \(r.err.prefix(160))")
            XCTAssertEqual(r.status, 2, "\(r)")
            XCTAssertTrue(r.err.contains("is 2000 bytes long"), r.err)
            XCTAssertFalse(r.err.contains("upgraded"), r.err)
        }
        let escape = "A\u{1b}[2J\u{07}B"
        let r = try h.keyrack(["get", "--for", "bot", "--key", escape, "--env", "test"])
        print("keyrack get --key <ESC[2J BEL> -> exit \(r.status): \(r.err)")
        XCTAssertEqual(r.status, 2, "\(r)")
        XCTAssertFalse(r.stderr.contains(0x1b) || r.stderr.contains(0x07), "a control character was echoed: \(r.stderr)")
        XCTAssertTrue(r.err.contains("A\\u{1b}[2J\\u{7}B"), r.err)
    }

    func testBusyDaemonSaysBusyNotUpgraded() throws {
        try seed()
        // The owner's own process holds every connection slot (256), sending nothing.
        let socket = h.socketDirectory.appendingPathComponent("daemon.bot.sock").path
        let marker = h.machine.dir.file("holding").path
        let holder = try Spawned("/usr/bin/python3", ["-c", """
            import socket, sys, time
            held = []
            for _ in range(300):
                s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); held.append(s)
            open(sys.argv[2], "w").write("held")
            time.sleep(30)
            """, socket, marker])
        defer { holder.terminate(); holder.waitForExit() }
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: marker) && holder.isRunning && Date() < deadline { usleep(5_000) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: marker))
        var busy: RunResult?
        let until = Date().addingTimeInterval(10)
        while busy == nil && Date() < until {
            let r = try h.keyrack(["get", "--for", "bot", "--key", "acme.test.API", "--value"])
            if r.status != 0 { busy = r }
        }
        let r = try XCTUnwrap(busy, "every get was served with 300 connections held")
        print("get while every slot is held -> exit \(r.status): \(r.err)")
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertTrue(r.err.hasPrefix("error: the daemon is busy: the daemon is serving its maximum of 256 connections; retry shortly"), r.err)
        XCTAssertFalse(r.err.contains("upgraded"), r.err)
    }

    func testKeyOfAnOwnerNeverInitialisedSaysSoWithoutADaemon() throws {
        let r = try h.keyrack(["get", "--for", "ghost", "--key", "API", "--env", "test", "--value"])
        print("get for an owner never initialised -> exit \(r.status): \(r.err)")
        XCTAssertEqual(r.status, 3, "\(r)")
        XCTAssertTrue(r.err.contains("'ghost' has no key API (env test): the owner is not initialised here"), r.err)
        XCTAssertTrue(r.err.contains("keyrack init --for ghost"), r.err)
        // An initialised owner without a daemon: the truth is that only unlock can tell.
        try h.sshOwner("bot")
        let locked = try h.keyrack(["get", "--for", "bot", "--key", "NEVER_SET", "--env", "test", "--value"])
        XCTAssertEqual(locked.status, 3)
        XCTAssertTrue(locked.err.contains("is locked, or was never set (no daemon runs, so only unlock can tell)"), locked.err)
    }
}
