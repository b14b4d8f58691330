import Foundation
@testable import KeyrackApp
@testable import KeyrackDaemon
import TestSupport
import XCTest
import KeyrackNames

/// `relock`, `status` and `daemon prune --all` against a fake daemon: what each asks and what it
/// reports when the daemon holds keys, runs no more, or lost its socket.
final class RelockAndStatusTests: XCTestCase {
    private let slug = Slug(org: "acme", env: "prod", key: "DB")!
    private let agent = AgentStatus(labels: ["primary (age, /k)"], remainingMilliseconds: 60_000, expiresAtWallMilliseconds: 1, unwrapped: 2)

    func testARelockOfEverythingSaysTheAgentWentTooAndAPartialOneDoesNotAsk() throws {
        let daemon = FakeDaemon()
        daemon.scripted["agentStatus"] = .success(.agentStatus(agent))
        daemon.scripted["relock"] = .success(.relocked([slug]))
        XCTAssertEqual(try Relock.run(owner: "robo", env: nil, key: nil, daemon: daemon),
                       Relock.Result(relocked: [slug], identityAgent: true, stoppedOrphan: nil))
        XCTAssertEqual(daemon.log, ["agentStatus", "relock"])
        XCTAssertEqual(try Relock.run(owner: "robo", env: "prod", key: nil, daemon: daemon).identityAgent, false)
        XCTAssertEqual(daemon.log.suffix(1), ["relock"], "a relock of one env leaves the agent alone")
    }

    func testNoDaemonIsNothingToRelockAndAnOrphanIsStoppedWithWhatItHeld() throws {
        let daemon = FakeDaemon()
        daemon.scripted["agentStatus"] = .failure(DaemonError.noDaemon(owner: "robo", socket: "/s"))
        daemon.scripted["relock"] = .failure(DaemonError.noDaemon(owner: "robo", socket: "/s"))
        XCTAssertEqual(try Relock.run(owner: "robo", env: nil, key: nil, daemon: daemon), Relock.Result(relocked: [], identityAgent: false, stoppedOrphan: nil))

        daemon.scripted["relock"] = .failure(DaemonError.orphaned(owner: "robo", pid: 77))
        daemon.orphanReport = DaemonExitReport(pid: 77, relocked: [slug], identityAgent: true)
        XCTAssertEqual(try Relock.run(owner: "robo", env: "prod", key: nil, daemon: daemon),
                       Relock.Result(relocked: [slug], identityAgent: true, stoppedOrphan: 77))
        XCTAssertEqual(daemon.stoppedOrphans, [77])
    }

    func testStatusFiltersByEnvAndTellsNoDaemonFromAnOrphan() throws {
        let daemon = FakeDaemon()
        let test = Slug(org: "acme", env: "test", key: "API")!
        let grants = [GrantInfo(slug: slug, vault: "os.secure", remainingMilliseconds: 1, expiresAtWallMilliseconds: 2),
                      GrantInfo(slug: test, vault: "openbao:secret/x#f", remainingMilliseconds: 1, expiresAtWallMilliseconds: 2)]
        daemon.scripted["status"] = .success(.status(DaemonStatus(pid: 9, owner: "robo", allowedUID: 1000, grants: grants, catalogCount: 2)))
        daemon.scripted["agentStatus"] = .success(.agentStatus(agent))
        let proxy = ProxyRecord(pid: 5, port: 8080, keys: [.init(name: "DB", sendTo: ["db.example"])], substitutions: 3)
        let all = try OwnerStatus.query(owner: "robo", env: nil, daemon: daemon, proxies: { _ in [proxy] })
        XCTAssertEqual(all.grants.map(\.slug), [slug, test])
        XCTAssertEqual(all.agent, agent)
        XCTAssertEqual(all.proxies, [proxy])
        XCTAssertEqual(try OwnerStatus.query(owner: "robo", env: "test", daemon: daemon, proxies: { _ in [] }).grants.map(\.slug), [test])

        daemon.scripted["status"] = .failure(DaemonError.noDaemon(owner: "robo", socket: "/s"))
        let none = try OwnerStatus.query(owner: "robo", env: nil, daemon: daemon, proxies: { _ in [] })
        XCTAssertNil(none.daemon)
        XCTAssertNil(none.orphanedPID)
        XCTAssertNil(none.agent, "no daemon, no agent asked")
        daemon.scripted["status"] = .failure(DaemonError.orphaned(owner: "robo", pid: 44))
        XCTAssertEqual(try OwnerStatus.query(owner: "robo", env: nil, daemon: daemon, proxies: { _ in [] }).orphanedPID, 44)
        daemon.scripted["status"] = .failure(DaemonError.denied(owner: "robo", reason: "uid"))
        XCTAssertThrowsError(try OwnerStatus.query(owner: "robo", env: nil, daemon: daemon, proxies: { _ in [] }), "other errors are the caller's")
    }

    func testPruneAllFindsEveryOwnerBySocketOrPidFileAndNothingElse() throws {
        let dir = try TempDirectory("keyrack-runtime")
        defer { dir.remove() }
        for name in ["daemon.robo.sock", "daemon.robo.pid", "daemon.ci.pid", "daemon.human.start.lock", "daemon.Bad Name.sock", "other.sock", "daemon.log.robo"] {
            try Data().write(to: dir.file(name))
        }
        XCTAssertEqual(DaemonStop.runningOwners(runtimeDirectory: dir.path), ["ci", "robo"])
    }
}
