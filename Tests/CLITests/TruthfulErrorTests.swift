import Foundation
import TestSupport
import XCTest

/// Issue 10, item 7: errors say the truth. A busy daemon (a real one, every connection slot held)
/// says busy, never the "if keyrack was just upgraded" guess. Key names and owners never
/// initialised, in-process: KeyrackAppTests/Output/TruthfulErrorTests.swift.
final class TruthfulErrorTests: XCTestCase {
    private var h: DaemonHarness!

    override func setUpWithError() throws { h = try DaemonHarness() }
    override func tearDown() { h.tearDown() }

    func testBusyDaemonSaysBusyNotUpgraded() throws {
        try h.unlockedOwner("bot", [("API", "v")])
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
}
