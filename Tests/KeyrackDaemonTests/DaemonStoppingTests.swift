@testable import KeyrackDaemon
import Locking
import Foundation
import KeyrackNames
import TestSupport
import XCTest

/// A daemon between "stops listening" and "exits" (idle exit, SIGTERM, STOP: it revokes leases
/// for up to 5 s in between) is not an orphan and has not failed its clients: it says `stopping`
/// in its pid file before its socket goes, a client whose pending connection it reset is told no
/// daemon runs, and a starter waits (bounded) for its exit. The CLI side, where `unlock` then
/// starts a new daemon, is CLITests/DaemonStopRaceTests.
final class DaemonStoppingTests: XCTestCase {
    private var dir: TempDirectory!
    private var runtime: RuntimeDirectory!

    override func setUpWithError() throws {
        dir = try TempDirectory("krs")
        runtime = RuntimeDirectory(path: dir.path + "/rt")
        try runtime.prepare()
    }

    override func tearDown() { dir.remove() }

    /// Seen from inside the stop (the revoker runs while the daemon waits for it): the socket is
    /// gone, the pid file is still locked and says `stopping`; after the exit, neither is left.
    func testTheStopMarksThePidFileBeforeTheSocketGoesAndHoldsTheLockThroughRevocation() throws {
        struct Seen: Equatable { var socketExists: Bool; var stopping: pid_t?; var orphan: pid_t? }
        let seen = Locked<Seen?>(nil)
        let runtime = self.runtime!
        let store = GrantStore()
        let slug = try XCTUnwrap(Slug(parsing: "acme.test.API"))
        _ = try store.put([GrantRequest(slug: slug, vault: "os.secure", ttlMilliseconds: 60_000, value: Array("v".utf8), revocation: "lease 1")])
        let config = DaemonServer.Configuration(owner: "bot", socketPath: runtime.socket(owner: "bot"), pidPath: runtime.pidFile(owner: "bot"))
        let server = DaemonServer(configuration: config, store: store, revoker: { _ in
            seen.withLock { $0 = Seen(socketExists: access(runtime.socket(owner: "bot"), F_OK) == 0,
                                      stopping: StoppingDaemon.find(runtime, owner: "bot"),
                                      orphan: OrphanedDaemon.find(runtime, owner: "bot")) }
            return nil
        })
        try server.start()
        XCTAssertNil(StoppingDaemon.find(runtime, owner: "bot"), "a serving daemon is not stopping")
        server.stop()
        server.waitUntilStopped()
        XCTAssertEqual(seen.withLock { $0 }, Seen(socketExists: false, stopping: getpid(), orphan: getpid()))
        XCTAssertNil(StoppingDaemon.find(runtime, owner: "bot"))
        XCTAssertNotEqual(access(runtime.pidFile(owner: "bot"), F_OK), 0, "the pid file outlived the daemon")
    }

    /// A connection waiting in the backlog when the daemon closes its listening socket is reset:
    /// the client says no daemon runs (`unlock` then starts one), not an I/O error.
    func testAConnectionResetInAStoppingDaemonsBacklogIsNoDaemon() throws {
        let daemon = try StandInDaemon(directory: runtime.path, owner: "bot", listening: true)
        let client = DaemonClient(owner: "bot", runtime: runtime)
        let connection = try client.connect()
        XCTAssertTrue(daemon.awaitPendingConnection(milliseconds: 5000))
        daemon.markStopping()
        daemon.closeSocket()
        XCTAssertThrowsError(try connection.send(.ping)) { error in
            XCTAssertEqual(error as? DaemonError, .noDaemon(owner: "bot", socket: runtime.socket(owner: "bot")), "\(error)")
        }
        daemon.exit()
        XCTAssertThrowsError(try client.send(.ping)) { XCTAssertEqual($0 as? DaemonError, .noDaemon(owner: "bot", socket: runtime.socket(owner: "bot"))) }
    }

    /// A daemon that still listens and closes a connection without answering is no "no daemon":
    /// that stays the error it is (nothing to start, and a retry would meet it again).
    func testADaemonThatStillListensAndClosesWithoutAnAnswerStaysAnError() throws {
        let daemon = try StandInDaemon(directory: runtime.path, owner: "bot", listening: true)
        let connection = try DaemonClient(owner: "bot", runtime: runtime).connect()
        XCTAssertTrue(daemon.awaitPendingConnection(milliseconds: 5000))
        try daemon.acceptAndClose()
        XCTAssertThrowsError(try connection.send(.ping)) { error in
            // EPIPE on the write, or EOF where the answer should be: which, the kernel's timing says.
            let e = error as? DaemonError
            XCTAssertNotNil(e, "\(error)")
            XCTAssertNotEqual(e, .noDaemon(owner: "bot", socket: runtime.socket(owner: "bot")), "\(error)")
        }
        daemon.exit()
    }

    /// A daemon that says it stops but never lets its lock go is reported (orphaned, whose remedy
    /// `daemon stop` signals it) once the starter's wait is over, and nothing was started.
    func testAStarterGivesUpOnAStoppingDaemonThatNeverExitsAndReportsIt() throws {
        let daemon = try StandInDaemon(directory: runtime.path, owner: "bot", listening: false)
        daemon.markStopping()
        let client = DaemonClient(owner: "bot", runtime: runtime)
        let started = Clock.bootMilliseconds()
        XCTAssertThrowsError(try DaemonLauncher.ensureRunning(client, executable: "/bin/false", arguments: [], stoppingWaitMilliseconds: 300)) {
            XCTAssertEqual($0 as? DaemonError, .orphaned(owner: "bot", pid: getpid()))
        }
        XCTAssertGreaterThanOrEqual(Clock.bootMilliseconds() - started, 300, "it did not wait for the stopping daemon")
        XCTAssertNotEqual(access(runtime.logFile(owner: "bot"), F_OK), 0, "a daemon was started beside the stopping one")
        daemon.exit()
    }
}
