@testable import KeyrackDaemon
import Locking
import Foundation
import TestSupport
import XCTest

/// The idle exit (no grant, no connection, no request for the idle time) against a request that
/// the loop's sweep did not see coming: one served between the sweep's clock reading and its
/// idle check, as happens when the machine is busy and the accept thread waits for a CPU. The
/// daemon took that request for a silence of 2^64 ms and exited under the `unlock` it had just
/// answered, which then found no daemon (OpenBaoLeaseTests `testFiftyUnlockRelockCyclesLeaveNoLease`
/// failed so, once in a full run).
final class DaemonIdleExitTests: XCTestCase {
    private var dir: TempDirectory!
    private var servers: [DaemonServer] = []

    override func setUpWithError() throws {
        dir = try TempDirectory("kri")
    }

    override func tearDown() {
        for s in servers { s.stop(); s.waitUntilStopped() }
        servers = []
        dir.remove()
    }

    private func startServer(store: GrantStore = GrantStore(), sweepMilliseconds: Int32 = 1000,
                             log: @escaping @Sendable (String) -> Void = { _ in }) throws -> (DaemonServer, DaemonClient) {
        let runtime = RuntimeDirectory(path: dir.path + "/rt")
        try runtime.prepare()
        var c = DaemonServer.Configuration(owner: "bot", socketPath: runtime.socket(owner: "bot"), pidPath: runtime.pidFile(owner: "bot"))
        c.idleExitMilliseconds = 60_000
        c.sweepMilliseconds = sweepMilliseconds
        let server = DaemonServer(configuration: c, store: store, log: log)
        try server.start()
        servers.append(server)
        return (server, DaemonClient(owner: "bot", runtime: runtime))
    }

    /// Waits (yielding, no sleep) until no connection's thread is left, as after a client closed.
    private func waitForNoConnection(_ server: DaemonServer) -> Bool {
        let deadline = Clock.bootMilliseconds() + 5000
        while server.openConnections > 0 && Clock.bootMilliseconds() < deadline { sched_yield() }
        return server.openConnections == 0
    }

    func testARequestServedBetweenTheSweepsClockAndItsIdleCheckKeepsTheDaemonRunning() throws {
        let hook = SweepHook()
        let lines = Locked([String]())
        let (server, client) = try startServer(store: GrantStore(now: hook.clock), sweepMilliseconds: 200,
                                               log: { line in lines.withLock { $0.append(line) } })
        // A connection the loop has accepted (it answered on it), to be used inside the sweep.
        let held = Locked(Optional(try client.connect()))
        guard case .pong? = try held.withLock({ try $0?.send(.ping) }) else { return XCTFail("no pong on the held connection") }

        let answered = Locked(false), closed = Locked(false)
        hook.arm {
            // After the sweep's reading (taken before the store's clock is asked), in a later millisecond.
            let entered = Clock.bootMilliseconds()
            while Clock.bootMilliseconds() <= entered { sched_yield() }
            if case .pong? = try? held.withLock({ try $0?.send(.ping) }) { answered.withLock { $0 = true } }
            held.withLock { $0 = nil }  // the client closes, as `keyrack unlock` does after its ping
            closed.withLock { $0 = self.waitForNoConnection(server) }
        }
        XCTAssertTrue(hook.waitUntilFired(seconds: 10), "the sweep never ran")
        XCTAssertTrue(answered.withLock { $0 }, "the ping inside the sweep was answered")
        XCTAssertTrue(closed.withLock { $0 }, "its connection was closed before the idle check")

        // Only the loop that made the idle decision accepts this connection: it answers, so it
        // went on serving (the old check exited, and this found no daemon or a reset connection).
        guard case .pong(let pid, "bot") = try client.send(.ping) else { return XCTFail("no pong after the sweep") }
        XCTAssertEqual(pid, getpid())
        XCTAssertFalse(server.isStopped)
        XCTAssertFalse(lines.withLock { $0 }.contains { $0.contains("exiting") }, "\(lines.withLock { $0 })")
    }

    func testIdleIsCountedFromTheLastRequestAndAnOpenConnectionIsNeverIdle() throws {
        let (server, client) = try startServer()
        let before = Clock.bootMilliseconds()
        guard case .pong = try client.send(.ping) else { return XCTFail() }
        let after = Clock.bootMilliseconds()
        XCTAssertTrue(waitForNoConnection(server))

        // The request is at least as new as `before`: a reading older than it is not idle at all.
        XCTAssertFalse(server.idleLongEnough(1000, at: before - 1), "a request newer than the clock reading")
        XCTAssertFalse(server.idleLongEnough(1000, at: before + 999), "less than the idle time since the request")
        XCTAssertTrue(server.idleLongEnough(1000, at: after + 1000), "the idle time since the request, no connection")

        let open = try client.connect()
        guard case .pong = try open.send(.ping) else { return XCTFail() }
        XCTAssertEqual(server.openConnections, 1)
        XCTAssertFalse(server.idleLongEnough(1000, at: Clock.bootMilliseconds() + 3_600_000), "a connection is open")

        XCTAssertEqual(Clock.elapsed(since: 5, now: 3), 0)
        XCTAssertEqual(Clock.elapsed(since: 3, now: 5), 2)
    }
}

/// The store's clock, which the daemon's sweep asks (to purge expired grants) after reading its
/// own and before deciding whether it is idle: `action` runs there once, on the accept thread,
/// in the first sweep after `arm`. A reading that follows a pause of the loop (its poll, the
/// sweep interval long) is a sweep's; the loop's other readings come microseconds apart.
final class SweepHook: @unchecked Sendable {
    private let state = Locked((last: Clock.bootMilliseconds(), action: Optional<() -> Void>.none))
    private let fired = DispatchSemaphore(value: 0)

    func arm(_ action: @escaping () -> Void) { state.withLock { $0.action = action } }

    func clock() -> UInt64 {
        let t = Clock.bootMilliseconds()
        let action = state.withLock { s -> (() -> Void)? in
            defer { s.last = t }
            guard Clock.elapsed(since: s.last, now: t) >= 100, let a = s.action else { return nil }
            s.action = nil
            return a
        }
        if let action {
            action()
            fired.signal()
        }
        return Clock.bootMilliseconds()
    }

    func waitUntilFired(seconds: Int) -> Bool { fired.wait(timeout: .now() + .seconds(seconds)) == .success }
}
