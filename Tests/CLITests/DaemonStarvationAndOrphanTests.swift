import Foundation
import TestSupport
import XCTest

/// Issue 10, item 5: the daemon cannot be starved or lost. A flood of connections from a denied
/// uid (when an admin opened the socket up) neither takes the owner's connection slots nor grows
/// the log without bound; a daemon whose socket was removed is found through its pid file by
/// status, daemon status, doctor, relock and daemon stop, and unlock explains it.
final class DaemonStarvationAndOrphanTests: XCTestCase {
    private var h: DaemonHarness!

    override func setUpWithError() throws { h = try DaemonHarness() }
    override func tearDown() { h.tearDown() }

    private let flood = """
        import socket, sys, time
        path, seconds, ready = sys.argv[1], float(sys.argv[2]), sys.argv[3]
        held, n, marked, end = [], 0, False, time.time() + float(sys.argv[2])
        while time.time() < end:
            try:
                s = socket.socket(socket.AF_UNIX); s.connect(path); held.append(s); n += 1
            except OSError:
                pass
            if len(held) > 700: held.pop(0).close()
            if not marked and n >= 300: open(ready, "w").write("ready"); marked = True
        open(ready + ".count", "w").write(str(n))
        """

    func testFloodFromADeniedUIDNeitherStarvesTheOwnerNorFloodsTheLog() throws {
        try h.sshOwner("bot")
        try h.ok(["set", "--for", "bot", "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "flood-proof")
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        // An admin opens the socket up to another user: a hard link in a directory that user can
        // reach, mode 0666 (the owner's own directory stays 0700).
        let attacker = try h.makeUser()
        chmod(h.machine.dir.path, 0o711)
        let open = h.machine.dir.file("opened").path
        try AsUser.directory(open, owner: attacker, mode: 0o700)
        let socket = h.socketDirectory.appendingPathComponent("daemon.bot.sock").path
        XCTAssertEqual(link(socket, open + "/sock"), 0)
        XCTAssertEqual(chmod(socket, 0o666), 0)
        let logPath = h.socketDirectory.appendingPathComponent("daemon.bot.log").path
        let logBefore = try String(contentsOfFile: logPath, encoding: .utf8)

        let ready = open + "/ready"
        let flooder = try Spawned("/usr/bin/setpriv", ["--reuid=\(attacker.uid)", "--regid=\(attacker.gid)", "--clear-groups",
                                                        "/usr/bin/python3", "-c", flood, open + "/sock", "3", ready])
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: ready) && flooder.isRunning && Date() < deadline { usleep(5_000) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: ready), "the flood never got going")
        var gets = 0
        while flooder.isRunning {
            let r = try h.keyrack(["get", "--for", "bot", "--key", "acme.test.API", "--value"])
            XCTAssertEqual(r.status, 0, "the owner was starved during the flood: \(r)")
            XCTAssertEqual(r.out, "flood-proof")
            gets += 1
        }
        XCTAssertEqual(flooder.waitForExit(), 0)
        let connects = Int((try? String(contentsOfFile: ready + ".count", encoding: .utf8)) ?? "") ?? 0
        let added = String(try String(contentsOfFile: logPath, encoding: .utf8).dropFirst(logBefore.count))
        let lines = added.split(separator: "\n")
        print("flood: \(connects) denied connects in 3 s; \(gets) gets by the owner all answered; the log grew by \(added.utf8.count) bytes, \(lines.count) line(s):\n\(lines.prefix(5).joined(separator: "\n"))")
        XCTAssertGreaterThan(connects, 1000, "not a flood")
        XCTAssertGreaterThan(gets, 0)
        XCTAssertLessThanOrEqual(lines.count, 8, "denials must be rate-limited in the log")
        XCTAssertTrue(added.contains("denied uid=\(attacker.uid)") && added.contains("more denied connection(s) not logged"), added)
    }

    func testOrphanedDaemonIsFoundThroughItsPidFileAndStopped() throws {
        try h.sshOwner("bot")
        try h.ok(["set", "--for", "bot", "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "orphan-value")
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        let pid = try XCTUnwrap(h.daemonPID("bot"))
        let socket = h.socketDirectory.appendingPathComponent("daemon.bot.sock").path
        XCTAssertEqual(unlink(socket), 0)

        let status = try h.ok(["status", "--for", "bot"])
        XCTAssertTrue(status.out.contains("its daemon (pid \(pid)) runs but lost its socket"), status.out)
        let daemonStatus = try h.keyrack(["daemon", "status", "--for", "bot"])
        XCTAssertEqual(daemonStatus.status, 1, "\(daemonStatus)")
        XCTAssertTrue(daemonStatus.out.contains("pid \(pid) is running, but its socket"), daemonStatus.out)
        let doctor = try h.keyrack(["doctor", "--for", "bot"])
        XCTAssertTrue(doctor.out.contains("[FAIL] daemon: pid \(pid) is running but its socket"), doctor.out)
        let get = try h.keyrack(["get", "--for", "bot", "--key", "acme.test.API", "--value"])
        XCTAssertEqual(get.status, 3, "\(get)")
        let unlock = try h.keyrack(["unlock", "--for", "bot", "--env", "test"])
        print("unlock with an orphaned daemon -> exit \(unlock.status): \(unlock.err)")
        XCTAssertEqual(unlock.status, 3, "\(unlock)")
        XCTAssertTrue(unlock.err.contains("(pid \(pid)) is running but its socket was removed") && unlock.err.contains("keyrack daemon stop --for bot"), unlock.err)
        XCTAssertFalse(unlock.err.contains("Success"), unlock.err)

        let relock = try h.ok(["relock", "--for", "bot"])
        print("relock of an orphaned daemon: \(relock.err)")
        XCTAssertTrue(relock.err.contains("(pid \(pid)) had lost its socket: stopped it"), relock.err)
        XCTAssertTrue(h.waitUntilGone(pid), "the orphan still runs")

        // Again, through daemon stop.
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        let second = try XCTUnwrap(h.daemonPID("bot"))
        XCTAssertEqual(unlink(socket), 0)
        let stop = try h.ok(["daemon", "stop", "--for", "bot"])
        XCTAssertTrue(stop.out.contains("stopped the daemon of 'bot' (pid \(second), found through its pid file"), stop.out)
        XCTAssertTrue(h.waitUntilGone(second))
    }

    /// `relock` and `daemon stop` of a daemon that lost its socket return once it has wiped and
    /// exited, not before, and `relock` says what it relocked (the daemon's exit report).
    func testStoppingAnOrphanWaitsForItsExitAndReportsWhatWasRelocked() throws {
        try h.sshOwner("bot")
        try h.ok(["set", "--for", "bot", "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "orphan-value")
        try h.ok(["set", "--for", "bot", "--key", "DB", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "orphan-db")
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        let pid = try XCTUnwrap(h.daemonPID("bot"))
        let socket = h.socketDirectory.appendingPathComponent("daemon.bot.sock").path
        XCTAssertEqual(unlink(socket), 0)

        let relock = try h.ok(["relock", "--for", "bot", "--json"])
        XCTAssertFalse(h.isAlive(pid), "relock returned while the orphan (pid \(pid)) still runs")
        let json = try ManifestHarness.json(relock)
        XCTAssertEqual(json["owner"] as? String, "bot")
        XCTAssertEqual(json["relocked"] as? [String], ["acme.test.API", "acme.test.DB"], relock.out)
        let log = try String(contentsOf: h.socketDirectory.appendingPathComponent("daemon.bot.log"), encoding: .utf8)
        XCTAssertTrue(log.contains("keyrack-daemon[\(pid)] stopped; wiped 2 grant(s)"), log)
        let text = try h.ok(["relock", "--for", "bot"])
        XCTAssertEqual(text.out, "nothing to relock for 'bot'\n", "the orphan is gone, nothing is left")

        // daemon stop, of an orphan and of a reachable daemon: gone when it returns.
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        let second = try XCTUnwrap(h.daemonPID("bot"))
        XCTAssertEqual(unlink(socket), 0)
        let stop = try h.ok(["daemon", "stop", "--for", "bot", "--json"])
        XCTAssertFalse(h.isAlive(second), "daemon stop returned while the orphan still runs")
        XCTAssertEqual(try ManifestHarness.json(stop)["effect"] as? String, "stopped", stop.out)
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        let third = try XCTUnwrap(h.daemonPID("bot"))
        try h.ok(["daemon", "stop", "--for", "bot"])
        XCTAssertFalse(h.isAlive(third), "daemon stop returned while the daemon still runs")
    }
}
