import Foundation
import TestSupport
import XCTest

/// `unlock` against a daemon that is on its way out (idle exit, SIGTERM, `daemon stop` from
/// elsewhere): the stopping daemon removes its socket first and keeps its pid lock while it
/// revokes leases, so `unlock` found "no socket, locked pid file" and called it an orphan
/// (exit 3, "its socket was removed"); and a ping that met the exit in the accept backlog was
/// reset. Now `unlock` waits for the old daemon's exit, on its lock, then starts a new one.
///
/// The test process plays the stopping daemon (TestSupport's StandInDaemon) so each step is
/// taken when the test says: a real daemon cannot be held between its steps from outside.
final class DaemonStopRaceTests: XCTestCase {
    private var h: DaemonHarness!

    override func setUpWithError() throws { h = try DaemonHarness() }
    override func tearDown() { h.tearDown() }

    private final class Outcome: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Result<RunResult, Error>?
        let done = DispatchSemaphore(value: 0)
        func set(_ r: Result<RunResult, Error>) { lock.lock(); value = r; lock.unlock(); done.signal() }
        var finished: Bool { lock.lock(); defer { lock.unlock() }; return value != nil }
        func wait() throws -> RunResult { done.wait(); done.signal(); lock.lock(); defer { lock.unlock() }; return try value!.get() }
    }

    /// Runs `keyrack args` on another thread; the outcome arrives when it exits.
    private func inBackground(_ args: [String]) -> Outcome {
        let outcome = Outcome()
        let h = self.h!
        Thread.detachNewThread { outcome.set(Result { try h.keyrack(args) }) }
        return outcome
    }

    /// Until a process blocks on the stand-in's pid lock (the starter waiting for its exit), or
    /// the command has already finished (the old code: it did not wait).
    private func awaitLockWaiter(_ daemon: StandInDaemon, _ command: Outcome) -> Bool {
        let deadline = Date().addingTimeInterval(20)
        while !daemon.hasLockWaiter() && !command.finished && Date() < deadline { sched_yield() }
        return daemon.hasLockWaiter()
    }

    private func prepareOwner() throws {
        try h.sshOwner("bot")
        try h.ok(["set", "--for", "bot", "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "after-the-race")
    }

    /// The old daemon has removed its socket and revokes (its lock held): `unlock` waits for its
    /// exit, then starts the new daemon, which serves.
    func testUnlockWhileADaemonStopsWaitsForItsExitAndStartsANewOne() throws {
        try prepareOwner()
        let old = try StandInDaemon(directory: h.socketDirectory.path, owner: "bot", listening: false)
        old.markStopping()
        let unlock = inBackground(["unlock", "--for", "bot", "--env", "test"])
        XCTAssertTrue(awaitLockWaiter(old, unlock), "unlock did not wait for the stopping daemon")
        XCTAssertFalse(unlock.finished, "unlock returned while the old daemon still ran")
        old.exit()
        let r = try unlock.wait()
        print("unlock after a stopping daemon exited -> exit \(r.status): \(r.err)")
        XCTAssertEqual(r.status, 0, "\(r)\(h.daemonLogTail())")
        let pid = try XCTUnwrap(h.daemonPID("bot"))
        XCTAssertNotEqual(pid, getpid())
        XCTAssertTrue(r.err.contains("started the daemon of 'bot' (pid \(pid))"), r.err)
        XCTAssertEqual(try h.ok(["get", "--for", "bot", "--key", "acme.test.API", "--value"]).out, "after-the-race")
    }

    /// `unlock`'s ping waits in the backlog of a daemon that decides, just then, to exit after
    /// its idle time: the reset is "no daemon", and `unlock` waits for the exit and starts anew.
    func testAPingResetByAnExitingDaemonIsNoDaemonAndUnlockStartsANewOne() throws {
        try prepareOwner()
        let old = try StandInDaemon(directory: h.socketDirectory.path, owner: "bot", listening: true)
        let unlock = inBackground(["unlock", "--for", "bot", "--env", "test"])
        XCTAssertTrue(old.awaitPendingConnection(milliseconds: 20_000), "unlock never connected")
        // What DaemonServer.shutdownFiles does, in its order; the ping is still unanswered.
        old.markStopping()
        old.closeSocket()
        XCTAssertTrue(awaitLockWaiter(old, unlock), "unlock did not wait for the stopping daemon")
        old.exit()
        let r = try unlock.wait()
        print("unlock whose ping was reset by an exiting daemon -> exit \(r.status): \(r.err)")
        XCTAssertEqual(r.status, 0, "\(r)\(h.daemonLogTail())")
        let pid = try XCTUnwrap(h.daemonPID("bot"))
        XCTAssertNotEqual(pid, getpid())
        XCTAssertEqual(try h.ok(["get", "--for", "bot", "--key", "acme.test.API", "--value"]).out, "after-the-race")
    }

    /// `get` (which starts nothing) reset in the same backlog says the keys are locked (exit 3,
    /// the unlock remedy), not an I/O error.
    func testAGetResetByAnExitingDaemonSaysLocked() throws {
        try prepareOwner()
        let old = try StandInDaemon(directory: h.socketDirectory.path, owner: "bot", listening: true)
        let get = inBackground(["get", "--for", "bot", "--key", "acme.test.API", "--value"])
        XCTAssertTrue(old.awaitPendingConnection(milliseconds: 20_000), "get never connected")
        old.markStopping()
        old.closeSocket()
        let r = try get.wait()
        old.exit()
        print("get reset by an exiting daemon -> exit \(r.status): \(r.err)")
        XCTAssertEqual(r.status, 3, "\(r)")
        XCTAssertTrue(r.err.contains("acme.test.API of 'bot' is locked") && r.err.contains("run `keyrack unlock --for bot"), r.err)
        XCTAssertEqual(r.out, "")
    }

    /// `keyrack daemon stop; keyrack unlock`: stop returns once the daemon is gone, so the
    /// unlock right after it starts a new daemon (real binaries, no stand-in).
    func testDaemonStopThenUnlockStartsANewDaemon() throws {
        try prepareOwner()
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        let first = try XCTUnwrap(h.daemonPID("bot"))
        try h.ok(["daemon", "stop", "--for", "bot"])
        XCTAssertFalse(h.isAlive(first), "daemon stop returned while the daemon still runs")
        let r = try h.ok(["unlock", "--for", "bot", "--env", "test"])
        let second = try XCTUnwrap(h.daemonPID("bot"))
        XCTAssertNotEqual(second, first)
        XCTAssertTrue(r.err.contains("started the daemon of 'bot' (pid \(second))"), r.err)
        XCTAssertEqual(try h.ok(["get", "--for", "bot", "--key", "acme.test.API", "--value"]).out, "after-the-race")
    }
}
