import Foundation
import TestSupport
import XCTest

/// Kernel isolation between Unix users: another uid cannot use an owner's daemon, and a daemon
/// run by (or pinned to) one user denies everyone else, root included, by SO_PEERCRED.
final class DaemonIsolationTests: XCTestCase {
    private var h: DaemonHarness!

    override func setUpWithError() throws { h = try DaemonHarness() }
    override func tearDown() { h.tearDown() }

    func testAnotherUIDIsDeniedByEachDaemon() throws {
        let tokens = ["seaturtle": "st-" + UUID().uuidString, "mechanic": "mc-" + UUID().uuidString]
        for (owner, token) in tokens {
            try h.sshOwner(owner)
            try h.ok(["set", "--for", owner, "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: token)
            try h.ok(["unlock", "--for", owner, "--env", "test"])
        }
        let stranger = try h.makeUser()
        // Let the stranger reach the directory, so the socket's own mode (0600) is what stops it.
        chmod(h.machine.dir.path, 0o711); chmod(h.runtime.path, 0o711)
        for (owner, token) in tokens {
            let r = try h.keyrackAs(stranger, ["get", "--for", owner, "--key", "acme.test.API", "--value"])
            XCTAssertEqual(r.status, 4, "\(r)")
            XCTAssertEqual(r.out, "")
            XCTAssertFalse(r.err.contains(token))
            // keyrack's own client refuses a directory that is not the caller's before connecting.
            XCTAssertTrue(r.err.contains("belongs to uid 0, not to you"), r.err)
            // The owner itself still gets its value: the test above can fail.
            XCTAssertEqual(try h.ok(["get", "--for", owner, "--key", "acme.test.API", "--value"]).out, token)
        }
    }

    func testDaemonOfAnotherUserDeniesRootByPeerCredentials() throws {
        let robot = try h.makeUser()
        let other = try h.makeUser()
        // The robot's own runtime directory, as its login would have it.
        let runtime = h.machine.dir.file("robot-run")
        try FileManager.default.createDirectory(at: runtime, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        XCTAssertEqual(chown(runtime.path, robot.uid, robot.gid), 0)
        chmod(h.machine.dir.path, 0o711)
        let env: [String: String?] = ["XDG_RUNTIME_DIR": runtime.path]

        // The robot starts its daemon and puts a grant.
        let seeded = try h.keyrackAs(robot, ["daemon", "bench", "--for", "pinned", "--seed"], env: env)
        XCTAssertEqual(seeded.status, 0, "\(seeded)")
        defer { _ = try? h.keyrackAs(robot, ["daemon", "stop", "--for", "pinned"], env: env) }
        let mine = try h.keyrackAs(robot, ["get", "--for", "pinned", "--key", "bench.test.BENCH_KEY", "--value"], env: env)
        XCTAssertEqual(mine.status, 0, "\(mine)")
        XCTAssertEqual(mine.out.count, 40)

        // keyrack's client, as root, refuses the robot's directory before connecting.
        let root = try h.keyrack(["get", "--for", "pinned", "--key", "bench.test.BENCH_KEY", "--value"], env: env)
        XCTAssertEqual(root.status, 4, "\(root)")
        XCTAssertEqual(root.out, "")
        XCTAssertTrue(root.err.contains("belongs to uid \(robot.uid), not to you (uid 0)"), root.err)
        // A raw client (an attacker need not use keyrack's) as root can open the socket file, but
        // the daemon checks the caller's uid and says no: a PING frame gets the denial reply.
        let socket = runtime.appendingPathComponent("keyrack/daemon.pinned.sock").path
        let raw = try Run.process("/usr/bin/python3", ["-c", """
            import socket, sys
            s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
            try: s.sendall(bytes([0, 0, 0, 2, 1, 1]))
            except OSError: pass  # the daemon may have answered and closed already
            sys.stdout.buffer.write(s.recv(4096))
            """, socket])
        XCTAssertEqual(raw.status, 0, "\(raw)")
        XCTAssertTrue(raw.out.contains("uid 0 may not use the daemon of 'pinned'"), raw.out)
        let log = try String(contentsOf: runtime.appendingPathComponent("keyrack/daemon.pinned.log"), encoding: .utf8)
        XCTAssertTrue(log.contains("denied uid=0 pid="), log)
        // exe is "?" here: the robot's daemon may not read root's /proc entry, and says so.
        XCTAssertTrue(log.contains("denied uid=0 pid=") && log.contains(" exe="), log)
        XCTAssertFalse(log.contains(mine.out), "the log must never hold a value")

        // A third user cannot even open it.
        let third = try h.keyrackAs(other, ["get", "--for", "pinned", "--key", "bench.test.BENCH_KEY", "--value"], env: env)
        XCTAssertEqual(third.status, 4, "\(third)")
        XCTAssertEqual(third.out, "")
    }
}
