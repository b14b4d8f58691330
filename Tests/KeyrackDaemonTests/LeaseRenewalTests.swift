@testable import KeyrackDaemon
import Locking
import KeyrackNames
import Foundation
import TestSupport
import XCTest

/// Lease renewal against a clock the test steps by hand: the store says which leases are due
/// (at two thirds of the lease), asks for no more than the grant has left, and applies each
/// outcome; the server hands due renewals to the renewer its process was given. The renewer
/// here is a fake (the real one, OpenBao's, is exercised against a real `bao` and PostgreSQL in
/// Tests/CLITests/OpenBaoLeaseTests.swift).
final class LeaseRenewalTests: XCTestCase {
    final class FakeClock: @unchecked Sendable {
        var now: UInt64 = 1_000_000
    }

    private func slug(_ s: String) -> Slug { Slug(parsing: s)! }

    private func leased(_ s: String, ttl: UInt64, lease: UInt64, note: String = "lease-1") -> GrantRequest {
        GrantRequest(slug: slug(s), vault: "openbao", ttlMilliseconds: ttl, value: Array("v-\(s)".utf8), revocation: note,
                     revocationSecret: Array("s.token".utf8), leaseMilliseconds: lease)
    }

    private func remaining(_ store: GrantStore, _ s: String) -> UInt64? {
        guard case .granted(let info, _) = store.lookup(key: s) else { return nil }
        return info.remainingMilliseconds
    }

    /// A 100 s grant over a 30 s lease: renewed at 20 s, 40 s, 60 s (two thirds of each 30 s
    /// lease), then at 80 s for the 20 s the grant has left, and never again; each renewal asks
    /// for the lease to end no later than the grant. The two keys of the lease are renewed once.
    func testRenewalsFallDueAtTwoThirdsOfTheLeaseAndNeverAskPastTheGrant() throws {
        let clock = FakeClock()
        let start = clock.now
        let store = GrantStore(now: { clock.now })
        let stored = try store.put([leased("acme.prod.DB_USER", ttl: 100_000, lease: 30_000), leased("acme.prod.DB_PASSWORD", ttl: 100_000, lease: 30_000)])
        XCTAssertEqual(stored.map(\.remainingMilliseconds), [100_000, 100_000], "the grant is not capped at its lease")
        XCTAssertEqual(store.nextRenewalMilliseconds(), 20_000)

        var asked: [(at: UInt64, seconds: UInt64)] = []
        for (due, answer) in [(UInt64(20_000), UInt64(30)), (40_000, 30), (60_000, 30), (80_000, 20)] {
            clock.now = start + due - 1
            XCTAssertEqual(store.dueRenewals().count, 0, "nothing due before \(due) ms")
            clock.now = start + due
            let renewals = store.dueRenewals()
            XCTAssertEqual(renewals.count, 1, "one renewal for the lease both keys share")
            let r = try XCTUnwrap(renewals.first)
            XCTAssertEqual(r.slugs, [slug("acme.prod.DB_PASSWORD"), slug("acme.prod.DB_USER")])
            XCTAssertEqual(r.note, "lease-1")
            XCTAssertEqual(r.withSecret { $0.map { String(decoding: $0, as: UTF8.self) } }, "s.token", "the grants' token, copied")
            XCTAssertEqual(store.dueRenewals().count, 0, "in flight: not handed out twice")
            XCTAssertNil(store.nextRenewalMilliseconds())
            asked.append((clock.now - start, r.incrementSeconds))
            store.finish(r, .renewed(seconds: answer))
            r.wipe()
            XCTAssertEqual(remaining(store, "acme.prod.DB_USER"), 100_000 - due, "status shows the grant's own end")
        }
        XCTAssertEqual(asked.map(\.seconds), [30, 30, 30, 20])
        for a in asked { XCTAssertLessThanOrEqual(a.at + a.seconds * 1000, 100_000, "a renewal never reaches past the grant") }
        XCTAssertNil(store.nextRenewalMilliseconds(), "the lease now reaches the grant's end: no more renewals")

        clock.now = start + 99_999
        XCTAssertEqual(store.dueRenewals().count, 0)
        XCTAssertEqual(remaining(store, "acme.prod.DB_USER"), 1)
        clock.now = start + 100_000
        XCTAssertEqual(store.lookup(key: "acme.prod.DB_USER"), .expired(slug("acme.prod.DB_USER")))
        let revocations = store.takeRevocations()
        XCTAssertEqual(revocations.map(\.note), ["lease-1", "lease-1"], "the grant's end revokes, as without renewal")
        revocations.forEach { $0.wipe() }
    }

    /// The server gives less than asked (the role's max_ttl), or says the lease is past it: the
    /// grants end with the lease, which is not renewed again, and status says so at once.
    func testALeaseAtItsMaximumEndsItsGrantsWithIt() throws {
        let clock = FakeClock()
        let start = clock.now
        let store = GrantStore(now: { clock.now })
        try store.put([leased("acme.prod.DB_USER", ttl: 100_000, lease: 30_000)])
        clock.now = start + 20_000
        let r = try XCTUnwrap(store.dueRenewals().first)
        XCTAssertEqual(r.incrementSeconds, 30)
        XCTAssertEqual(store.finish(r, .renewed(seconds: 12)), 12_000)
        r.wipe()
        XCTAssertNil(store.nextRenewalMilliseconds(), "at its maximum: never asked again")
        XCTAssertEqual(remaining(store, "acme.prod.DB_USER"), 12_000, "the grant now ends with the lease")
        clock.now = start + 32_000
        XCTAssertEqual(store.lookup(key: "acme.prod.DB_USER"), .expired(slug("acme.prod.DB_USER")))
        store.takeRevocations().forEach { $0.wipe() }

        // Or it says the lease is already past its max_ttl: it keeps its end, never asked again.
        try store.put([leased("acme.prod.DB_USER", ttl: 100_000, lease: 30_000, note: "lease-2")])
        clock.now += 20_000
        let last = try XCTUnwrap(store.dueRenewals().first)
        XCTAssertEqual(store.finish(last, .atMaximum("past its max_ttl")), 10_000)
        last.wipe()
        XCTAssertNil(store.nextRenewalMilliseconds())
        XCTAssertEqual(remaining(store, "acme.prod.DB_USER"), 10_000, "the grant ends with the lease")
        clock.now += 10_000
        XCTAssertEqual(store.lookup(key: "acme.prod.DB_USER"), .expired(slug("acme.prod.DB_USER")))
        store.takeRevocations().forEach { $0.wipe() }
    }

    /// A failed renewal keeps the lease's end: the grant is served until then, the renewal is
    /// retried at two thirds of what is left, and with no success the grant ends with the lease.
    func testAFailedRenewalIsRetriedBeforeTheLeaseEndsAndTheGrantEndsWithIt() throws {
        let clock = FakeClock()
        let start = clock.now
        let store = GrantStore(now: { clock.now })
        try store.put([leased("acme.prod.DB_USER", ttl: 100_000, lease: 30_000)])
        clock.now = start + 20_000
        var r = try XCTUnwrap(store.dueRenewals().first)
        XCTAssertEqual(store.finish(r, .failed("unreachable")), 10_000, "the lease keeps its end")
        r.wipe()
        XCTAssertEqual(store.nextRenewalMilliseconds(), 6_666, "retried at two thirds of the 10 s left")
        clock.now = start + 26_666
        r = try XCTUnwrap(store.dueRenewals().first)
        store.finish(r, .failed("unreachable"))
        r.wipe()
        clock.now = start + 29_999
        XCTAssertNotNil(remaining(store, "acme.prod.DB_USER"), "served until the lease's end")
        clock.now = start + 30_000
        XCTAssertEqual(store.lookup(key: "acme.prod.DB_USER"), .expired(slug("acme.prod.DB_USER")), "not past the lease it lives on")
        XCTAssertEqual(store.dueRenewals().count, 0)
        store.takeRevocations().forEach { $0.wipe() }
    }

    /// The lease is gone (revoked behind keyrack's back): its grants end now, as an expiry, and
    /// their revocation still runs. A relock while a renewal is in flight leaves nothing to renew.
    func testAnEndedLeaseEndsItsGrantsAndARelockStopsRenewals() throws {
        let clock = FakeClock()
        let store = GrantStore(now: { clock.now })
        try store.put([leased("acme.prod.DB_USER", ttl: 100_000, lease: 30_000),
                       leased("acme.prod.API", ttl: 100_000, lease: 30_000, note: "lease-2")])
        clock.now += 20_000
        let due = store.dueRenewals()
        XCTAssertEqual(due.map(\.note), ["lease-1", "lease-2"])
        XCTAssertNil(store.finish(due[0], .ended("no longer known")))
        XCTAssertEqual(store.lookup(key: "acme.prod.DB_USER"), .expired(slug("acme.prod.DB_USER")))
        XCTAssertEqual(store.takeRevocations().map { r in defer { r.wipe() }; return r.note }, ["lease-1"])

        store.relock()
        XCTAssertNil(store.finish(due[1], .renewed(seconds: 30)), "relocked meanwhile: nothing to apply it to")
        due.forEach { $0.wipe() }
        XCTAssertNil(store.nextRenewalMilliseconds())
        clock.now += 1_000_000
        XCTAssertEqual(store.dueRenewals().count, 0)
        store.takeRevocations().forEach { $0.wipe() }
    }

    /// A lease that outlasts its grant, or a grant without a revocation note, is never renewed.
    func testALeaseLongerThanTheGrantIsNotRenewed() throws {
        let store = GrantStore(now: { 5_000 })
        try store.put([leased("acme.prod.DB_USER", ttl: 10_000, lease: 30_000),
                       GrantRequest(slug: slug("acme.prod.API"), vault: "v", ttlMilliseconds: 60_000, value: [1], leaseMilliseconds: 1000)])
        XCTAssertNil(store.nextRenewalMilliseconds())
    }

    /// Protocol 5: a grant's lease duration travels with it, and only beside the note that names it.
    func testTheLeaseTravelsWithItsGrantAndNeverWithoutItsNote() throws {
        let body = Request.unlock([leased("acme.prod.DB_USER", ttl: 100_000, lease: 30_000),
                                   GrantRequest(slug: slug("acme.prod.API"), vault: "v", ttlMilliseconds: 1, value: [1], leaseMilliseconds: 5)],
                                  catalog: nil).encodeBody()
        guard case .unlock(let grants, _) = try Request.decode(body: body) else { return XCTFail() }
        XCTAssertEqual(grants.map(\.leaseMilliseconds), [30_000, nil])
        var bad = WireWriter()
        bad.u8(Protocol.version); bad.u8(0x02); bad.u8(0); bad.count(1); bad.slug(slug("acme.prod.API")); bad.string("v"); bad.u64(1); bad.data([1])
        bad.u8(0); bad.count(0); bad.u8(1); bad.u64(5)
        XCTAssertThrowsError(try Request.decode(body: bad.bytes)) { error in
            XCTAssertEqual("\(error)".contains("a lease comes with the revocation note that names it"), true, "\(error)")
        }
    }

    /// Over the socket: the lease travels with its grant (protocol 5), the server hands the due
    /// renewal to its renewer with the grant's token, logs the outcome without the token, and a
    /// relock leaves nothing for the renewer.
    func testTheServerRenewsThroughItsRenewerAndStopsAtRelock() throws {
        let dir = try TempDirectory("krl")
        defer { dir.remove() }
        let clock = FakeClock()
        let store = GrantStore(now: { clock.now })
        let calls = Locked<[String]>([])
        let logged = DispatchSemaphore(value: 0)
        let lines = Locked<[String]>([])
        let renewer: GrantRenewer = { r in
            let token = r.withSecret { $0.map { String(decoding: $0, as: UTF8.self) } } ?? "-"
            calls.withLock { $0.append("\(r.note) \(r.incrementSeconds)s \(token)") }
            return .renewed(seconds: r.incrementSeconds)
        }
        let runtime = RuntimeDirectory(path: dir.path + "/rt")
        try runtime.prepare()
        var c = DaemonServer.Configuration(owner: "bot", socketPath: runtime.socket(owner: "bot"), pidPath: runtime.pidFile(owner: "bot"))
        c.idleExitMilliseconds = nil
        let server = DaemonServer(configuration: c, store: store, renewer: renewer, log: { line in
            lines.withLock { $0.append(line) }
            if line.contains("the lease of") { logged.signal() }
        })
        try server.start()
        defer { server.stop(); server.waitUntilStopped() }
        let client = DaemonClient(owner: "bot", runtime: runtime)
        guard case .unlocked(let stored) = try client.send(.unlock([leased("acme.prod.DB_USER", ttl: 100_000, lease: 30_000)], catalog: nil)) else {
            return XCTFail("not unlocked")
        }
        XCTAssertEqual(stored.map(\.remainingMilliseconds), [100_000])
        XCTAssertEqual(store.nextRenewalMilliseconds(), 20_000, "the lease came over the wire")

        clock.now += 20_000
        server.renewDue(waiting: true)
        XCTAssertEqual(logged.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(calls.withLock { $0 }, ["lease-1 30s s.token"])
        XCTAssertTrue(lines.withLock { $0 }.contains("renewed the lease of acme.prod.DB_USER for 30s"), "\(lines.withLock { $0 })")
        XCTAssertFalse(lines.withLock { $0 }.joined().contains("s.token"), "the token is never logged")
        XCTAssertEqual(store.nextRenewalMilliseconds(), 20_000, "next at two thirds of the renewed lease")

        guard case .relocked = try client.send(.relock(env: nil, key: nil)) else { return XCTFail() }
        clock.now += 20_000
        XCTAssertNil(server.renewDue(waiting: true))
        XCTAssertEqual(calls.withLock { $0 }.count, 1, "no renewal after relock")
    }
}
