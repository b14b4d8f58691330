import Foundation
import TestSupport
import XCTest

/// Crashes and races around the daemon: a killed daemon loses nothing on disk and the next
/// unlock starts a fresh one; concurrent unlocks start exactly one daemon.
final class DaemonRobustnessTests: XCTestCase {
    private var h: DaemonHarness!

    override func setUpWithError() throws { h = try DaemonHarness() }
    override func tearDown() { h.tearDown() }

    func testKillingTheDaemonMidRequestLosesNothingOnDisk() throws {
        try h.sshOwner("bot")
        try h.ok(["set", "--for", "bot", "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "v1")
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        let before = try h.machine.snapshot()
        let pid = try XCTUnwrap(h.daemonPID("bot"))

        // Load the daemon with a background client, then SIGKILL it in the middle.
        let load = Process()
        load.executableURL = URL(fileURLWithPath: Run.keyrackBinary)
        load.arguments = ["daemon", "bench", "--for", "bot", "--clients", "4", "--milliseconds", "5000"]
        var env = ProcessInfo.processInfo.environment
        env["XDG_RUNTIME_DIR"] = h.runtime.path
        load.environment = env
        load.standardOutput = FileHandle.nullDevice
        load.standardError = FileHandle.nullDevice
        try load.run()
        XCTAssertEqual(kill(pid, SIGKILL), 0)
        load.waitUntilExit()
        XCTAssertTrue(h.waitUntilGone(pid))

        XCTAssertEqual(try h.machine.snapshot(), before, "the manifest and friends must be untouched")
        let locked = try h.keyrack(["get", "--for", "bot", "--key", "acme.test.API", "--value"])
        XCTAssertEqual(locked.status, 3, "\(locked)")

        // The stale socket is cleaned and a fresh daemon serves the next unlock.
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        let fresh = try XCTUnwrap(h.daemonPID("bot"))
        XCTAssertNotEqual(fresh, pid)
        XCTAssertEqual(try h.ok(["get", "--for", "bot", "--key", "acme.test.API", "--value"]).out, "v1")
    }

    func testConcurrentUnlocksStartOneDaemon() throws {
        try h.sshOwner("bot")
        try h.ok(["set", "--for", "bot", "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "v1")
        var results = [RunResult?](repeating: nil, count: 4)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            let r = try? self.h.keyrack(["unlock", "--for", "bot", "--env", "test"])
            lock.lock(); results[i] = r; lock.unlock()
        }
        XCTAssertEqual(results.compactMap { $0?.status }, [0, 0, 0, 0], "\(results)")
        let started = results.compactMap { $0?.err }.filter { $0.contains("started the daemon of 'bot'") }
        XCTAssertEqual(started.count, 1, "exactly one unlock may start the daemon: \(results)")
        let ps = try Run.process("/usr/bin/pgrep", ["-f", "daemon run --for bot$"])
        let pids = ps.out.split(separator: "\n").compactMap { Int32($0) }.filter { pid in
            (try? String(contentsOfFile: "/proc/\(pid)/environ", encoding: .utf8))?.contains(h.runtime.path) == true
        }
        XCTAssertEqual(pids.count, 1, "one daemon process for this runtime dir: \(ps)")
    }

    func testDaemonStopWithNoDaemonAndStatusWhenLocked() throws {
        let stop = try h.ok(["daemon", "stop", "--for", "ghost"])
        XCTAssertTrue(stop.out.contains("no daemon is running for 'ghost'"), stop.out)
        let status = try h.keyrack(["daemon", "status", "--for", "ghost"])
        XCTAssertEqual(status.status, 3)
        let overall = try ManifestHarness.json(try h.ok(["status", "--for", "ghost", "--json"]))
        XCTAssertEqual(overall["running"] as? Bool, false)
        XCTAssertEqual((overall["keys"] as? [Any])?.count, 0)
    }

    func testGrantExpiresAndIdleDaemonExitsByItself() throws {
        try h.sshOwner("bot")
        try h.ok(["set", "--for", "bot", "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "short-lived")
        try h.ok(["unlock", "--for", "bot", "--env", "test", "--duration", "1s"], env: ["KEYRACK_DAEMON_IDLE_SECONDS": "2"])
        let pid = try XCTUnwrap(h.daemonPID("bot"))
        // Poll (no sleep as synchronisation): granted first, then expired with the fix.
        var last: RunResult?
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let r = try h.keyrack(["get", "--for", "bot", "--key", "acme.test.API", "--value"])
            last = r
            if r.status != 0 { break }
            XCTAssertEqual(r.out, "short-lived")
            usleep(50_000)
        }
        XCTAssertEqual(last?.status, 3, "\(String(describing: last))")
        XCTAssertTrue(last?.err.contains("has expired: run `keyrack unlock --for bot --env test --key API`") == true, last?.err ?? "")
        // No grants and no demand for 2 s: the daemon exits and removes its socket.
        XCTAssertTrue(h.waitUntilGone(pid, seconds: 15), "idle daemon must exit")
        XCTAssertFalse(FileManager.default.fileExists(atPath: h.socketDirectory.appendingPathComponent("daemon.bot.sock").path))
    }
}
