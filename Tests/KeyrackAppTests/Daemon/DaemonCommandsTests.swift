@testable import KeyrackApp
@testable import KeyrackDaemon
import KeyrackClient
import KeyrackNames
import XCTest

/// `daemon status`, `daemon stop`/`prune` and `daemon bench --seed` against a fake daemon: what
/// each asks and what it reports.
final class DaemonCommandsTests: XCTestCase {
    func testDaemonStatusTellsARunningDaemonFromNoneAndFromAnOrphan() throws {
        let daemon = FakeDaemon()
        let status = DaemonStatus(pid: 9, owner: "robo", allowedUID: 1000, grants: [], catalogCount: 0)
        daemon.scripted["status"] = .success(.status(status))
        XCTAssertEqual(try OwnerStatus.daemon(owner: "robo", daemon: daemon), .running(status))
        daemon.scripted["status"] = .failure(DaemonError.noDaemon(owner: "robo", socket: "/s"))
        XCTAssertEqual(try OwnerStatus.daemon(owner: "robo", daemon: daemon), OwnerStatus.Daemon.none)
        daemon.scripted["status"] = .failure(DaemonError.orphaned(owner: "robo", pid: 44))
        XCTAssertEqual(try OwnerStatus.daemon(owner: "robo", daemon: daemon), .orphaned(pid: 44))
        daemon.scripted["status"] = .success(.relocked([]))
        XCTAssertThrowsError(try OwnerStatus.daemon(owner: "robo", daemon: daemon), "another answer to STATUS is malformed")
        daemon.scripted["status"] = .failure(DaemonError.denied(owner: "robo", reason: "uid"))
        XCTAssertThrowsError(try OwnerStatus.daemon(owner: "robo", daemon: daemon), "other errors are the caller's")
        XCTAssertEqual(daemon.log, Array(repeating: "status", count: 5))
    }

    func testPruneStopsEachOwnerInOrderAndReportsWhatEachStopDid() throws {
        var stopped: [String] = []
        let outcomes: [String: DaemonStop.Outcome] = ["ci": .notRunning, "robo": .stoppedOrphan(pid: 3), "human": .stopped]
        let pruned = try DaemonStop.prune(["robo", "ci", "human"]) { stopped.append($0); return outcomes[$0]! }
        XCTAssertEqual(stopped, ["robo", "ci", "human"])
        XCTAssertEqual(pruned.map(\.owner), ["robo", "ci", "human"])
        XCTAssertEqual(pruned.map(\.outcome.effect), ["stopped", "not-running", "stopped"])
        XCTAssertTrue(try DaemonStop.prune([]) { _ in XCTFail("no owner, no stop"); return .stopped }.isEmpty)
    }

    func testAFailedStopEndsThePruneWithItsError() {
        XCTAssertThrowsError(try DaemonStop.prune(["robo", "ci"]) { owner in
            if owner == "ci" { throw CommandFailure("did not exit") }
            return .stopped
        }) { XCTAssertEqual(($0 as? CommandFailure)?.message, "did not exit") }
    }

    func testBenchSeedStartsTheDaemonUnpinnedAndPutsOneRandomLowercaseGrantForAnHour() throws {
        let daemon = FakeDaemon()
        try DaemonBench.seed(owner: "robo", daemon: daemon)
        try DaemonBench.seed(owner: "robo", daemon: daemon)
        XCTAssertEqual(daemon.log, ["start", "unlock", "start", "unlock"])
        XCTAssertEqual(daemon.starts.map(\.owner), ["robo", "robo"])
        XCTAssertEqual(daemon.starts.map(\.pinnedUID), [nil, nil])
        XCTAssertNil(daemon.catalog)
        XCTAssertEqual(daemon.granted.map(\.slug.description), ["bench.test.BENCH_KEY", "bench.test.BENCH_KEY"])
        XCTAssertEqual(daemon.granted.map(\.vault), ["os.daemon", "os.daemon"])
        XCTAssertEqual(daemon.granted.map(\.ttlMilliseconds), [3_600_000, 3_600_000])
        for grant in daemon.granted {
            XCTAssertEqual(grant.value.count, 40)
            XCTAssertTrue(grant.value.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) })
        }
        XCTAssertNotEqual(daemon.granted[0].value, daemon.granted[1].value, "a random value each seed")
    }
}
