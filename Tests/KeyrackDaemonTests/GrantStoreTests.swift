@testable import KeyrackDaemon
import XCTest
import KeyrackNames

/// The grant store against a clock the test steps by hand: expiry is decided on every read,
/// relock and expiry wipe the guarded memory, and the ORG.all fallback answers any env.
final class GrantStoreTests: XCTestCase {
    final class FakeClock: @unchecked Sendable {
        var now: UInt64 = 1_000_000
    }

    private func slug(_ s: String) -> Slug { Slug(parsing: s)! }

    private func grant(_ s: String, _ value: String, ttl: UInt64) -> GrantRequest {
        GrantRequest(slug: slug(s), vault: "os.secure", ttlMilliseconds: ttl, value: Array(value.utf8))
    }

    /// UNLOCK's reply is what `put` returns: the grants as stored, so the CLI prints the
    /// daemon's expiries rather than recomputing them from its own clock.
    func testPutReturnsTheGrantsAsStored() throws {
        let store = GrantStore(now: { 5_000 })
        let before = Clock.wallMilliseconds()
        let stored = try store.put([grant("acme.test.A", "a", ttl: 1000), grant("acme.test.B", "b", ttl: 10_000)])
        let after = Clock.wallMilliseconds()
        XCTAssertEqual(stored.map(\.slug), [slug("acme.test.A"), slug("acme.test.B")])
        XCTAssertEqual(stored.map(\.remainingMilliseconds), [1000, 10_000])
        for (info, ttl) in zip(stored, [UInt64(1000), 10_000]) {
            XCTAssertTrue((before + ttl...after + ttl).contains(info.expiresAtWallMilliseconds), "\(info)")
        }
        XCTAssertEqual(Set(store.status().map(\.slug)), Set(stored.map(\.slug)))
    }

    /// At most `maximumGrants` slugs are held: a grant of a slug already held, or sent twice in
    /// one unlock, takes no more room; one slug past the limit refuses the whole unlock.
    func testTheGrantLimitCountsEachNewSlugOnce() throws {
        let store = GrantStore(now: { 5_000 })
        let limit = GrantStore.maximumGrants
        try store.put((0..<limit - 1).map { grant("acme.test.K\($0)", "v", ttl: 1000) })
        // The last free place, taken by one slug sent twice, beside a slug already held.
        try store.put([grant("acme.test.LAST", "a", ttl: 1000), grant("acme.test.LAST", "b", ttl: 1000), grant("acme.test.K0", "c", ttl: 1000)])
        XCTAssertEqual(store.status().count, limit)
        XCTAssertThrowsError(try store.put([grant("acme.test.K1", "d", ttl: 1000), grant("acme.test.ONE_MORE", "e", ttl: 1000)])) { error in
            guard case DaemonError.tooManyGrants(let n)? = error as? DaemonError else { return XCTFail("\(error)") }
            XCTAssertEqual(n, limit)
        }
        XCTAssertEqual(store.status().count, limit)
        guard case .granted(_, let value) = store.lookup(key: "acme.test.K1") else { return XCTFail("a refused unlock changed a grant") }
        XCTAssertEqual(value, Array("v".utf8))
    }

    func testGrantIsServedUntilItsDeadlineAndExpiredAfter() throws {
        let clock = FakeClock()
        let store = GrantStore(now: { clock.now })
        try store.put([grant("acme.test.API", "v1", ttl: 60_000)])

        clock.now += 59_999
        guard case .granted(let info, let value) = store.lookup(key: "acme.test.API") else { return XCTFail("not granted before the deadline") }
        XCTAssertEqual(value, Array("v1".utf8))
        XCTAssertEqual(info.remainingMilliseconds, 1)

        clock.now += 1
        XCTAssertEqual(store.lookup(key: "acme.test.API"), .expired(slug("acme.test.API")))
        XCTAssertEqual(store.status(), [])
        XCTAssertEqual(store.purgeExpired(), 0)
    }

    func testExpiryAndRelockWipeTheGuardedMemory() throws {
        let clock = FakeClock()
        let store = GrantStore(now: { clock.now })
        try store.put([grant("acme.test.A", "secret-a", ttl: 1000), grant("acme.test.B", "secret-b", ttl: 10_000)])
        let a = try XCTUnwrap(store._storage(for: slug("acme.test.A")))
        let b = try XCTUnwrap(store._storage(for: slug("acme.test.B")))
        XCTAssertFalse(a.isZeroed)
        XCTAssertEqual(a.withBytes { Array($0) }, Array("secret-a".utf8))

        clock.now += 1000
        XCTAssertEqual(store.purgeExpired(), 1)
        XCTAssertTrue(a.isZeroed, "expiry must zero the value at once")
        XCTAssertEqual(a.count, 0)
        XCTAssertFalse(b.isZeroed)

        XCTAssertEqual(store.relock(key: "B"), [slug("acme.test.B")])
        XCTAssertTrue(b.isZeroed, "relock must zero the value at once")
        XCTAssertEqual(store.lookup(key: "acme.test.B"), .locked(slug("acme.test.B")))
    }

    func testReUnlockReplacesValueAndExtendsTTL() throws {
        let clock = FakeClock()
        let store = GrantStore(now: { clock.now })
        try store.put([grant("acme.test.A", "old", ttl: 1000)])
        let old = try XCTUnwrap(store._storage(for: slug("acme.test.A")))
        try store.put([grant("acme.test.A", "new", ttl: 5000)])
        XCTAssertTrue(old.isZeroed)
        clock.now += 4000
        guard case .granted(_, let value) = store.lookup(key: "A", env: "test") else { return XCTFail() }
        XCTAssertEqual(value, Array("new".utf8))
    }

    /// An unlock of many keys, then the same unlock again (the steady state of a re-unlock):
    /// every replaced value is zeroed, every new one served, and the guarded slabs are opened
    /// for writing a handful of times per batch instead of twice per key.
    func testReUnlockOfManyKeysWipesEveryOldValueInOneBatch() throws {
        let store = GrantStore(now: { 1_000 })
        let names = (0..<1000).map { "acme.test.KEY_\($0)" }
        try store.put(names.map { grant($0, "old-\($0)", ttl: 60_000) })
        let old = try names.map { try XCTUnwrap(store._storage(for: slug($0))) }
        let before = GuardedSlab.writes
        let stored = try store.put(names.map { grant($0, "new-\($0)", ttl: 60_000) })
        XCTAssertEqual(stored.count, 1000)
        XCTAssertLessThanOrEqual(GuardedSlab.writes - before, 8, "slab writes for a batch of 1000 grants")
        XCTAssertTrue(old.allSatisfy(\.isZeroed), "a replaced grant's value must be zeroed at once")
        for name in [names[0], names[499], names[999]] {
            guard case .granted(_, let value) = store.lookup(key: name) else { return XCTFail(name) }
            XCTAssertEqual(value, Array("new-\(name)".utf8))
        }
        XCTAssertEqual(store.relock().count, 1000)
    }

    func testAllEnvFallbackAnswersAnyEnvButNeverTheReverse() throws {
        let store = GrantStore()
        try store.put([grant("acme.all.SHARED", "s", ttl: 60_000)])
        guard case .granted(let info, _) = store.lookup(key: "acme.prod.SHARED") else { return XCTFail("fallback missed") }
        XCTAssertEqual(info.slug, slug("acme.all.SHARED"))
        guard case .granted = store.lookup(key: "SHARED", env: "test") else { return XCTFail("bare-name fallback missed") }

        try store.put([grant("acme.prod.ONLY", "p", ttl: 60_000)])
        XCTAssertEqual(store.lookup(key: "acme.all.ONLY"), .absent(slug("acme.all.ONLY")))
    }

    func testLockedAbsentAndAmbiguousAreDistinct() throws {
        let store = GrantStore()
        store.setCatalog([slug("acme.sudo.TOKEN"), slug("acme.test.API"), slug("other.test.API")])
        XCTAssertEqual(store.lookup(key: "acme.sudo.TOKEN"), .locked(slug("acme.sudo.TOKEN")))
        XCTAssertEqual(store.lookup(key: "TOKEN", env: "sudo"), .locked(slug("acme.sudo.TOKEN")))
        XCTAssertEqual(store.lookup(key: "acme.sudo.NOPE"), .absent(slug("acme.sudo.NOPE")))
        XCTAssertEqual(store.lookup(key: "NOPE", env: "sudo"), .absent(nil))
        XCTAssertEqual(store.lookup(key: "API", env: "test"),
                       .ambiguous([slug("acme.test.API"), slug("other.test.API")]))
        XCTAssertEqual(store.lookup(key: "API", env: "test", org: "other"), .locked(slug("other.test.API")))
    }

    /// A new catalog keeps the slugs held in it (a key an unlock derived, which no manifest
    /// lists): relocked later, such a key is "locked", not "absent".
    func testANewCatalogKeepsTheSlugsHeld() throws {
        let store = GrantStore()
        try store.put([grant("acme.test.DERIVED", "d", ttl: 60_000), grant("acme.test.A", "a", ttl: 60_000)])
        store.setCatalog([slug("acme.test.A"), slug("acme.test.B"), slug("acme.test.A")])
        XCTAssertEqual(store.catalogCount, 3)
        XCTAssertEqual(store.relock(key: "acme.test.DERIVED"), [slug("acme.test.DERIVED")])
        XCTAssertEqual(store.lookup(key: "acme.test.DERIVED"), .locked(slug("acme.test.DERIVED")))
        XCTAssertEqual(store.lookup(key: "acme.test.B"), .locked(slug("acme.test.B")))
        store.setCatalog([])
        XCTAssertEqual(store.catalogCount, 1)
        XCTAssertEqual(store.lookup(key: "acme.test.B"), .absent(slug("acme.test.B")))
    }

    /// Relock, status and expiry list slugs in the order of their descriptions (Slug's own `<`,
    /// no string built per comparison), ties of status's expiry broken the same way.
    func testSlugsAreListedInTheOrderOfTheirDescriptions() throws {
        let clock = FakeClock()
        let texts = ["a.test.K_", "a.test.K.X", "a-b.test.K", "a.test.K", "a.tes.K", "a0.test.K"]
        var expired: [[Slug]] = []
        let store = GrantStore(now: { clock.now })
        store.onExpire = { expired.append($0) }
        try store.put(texts.map { grant($0, "v", ttl: 60_000) })
        let order = texts.sorted()
        XCTAssertEqual(store.status().map(\.slug.description), order)
        clock.now += 60_000
        XCTAssertEqual(store.purgeExpired(), 0)
        XCTAssertEqual(expired.map { $0.map(\.description) }, [order])
        try store.put(texts.reversed().map { grant($0, "v", ttl: 60_000) })
        XCTAssertEqual(store.relock().map(\.description), order)
    }

    func testRelockByEnvKeepsOtherEnvs() throws {
        let store = GrantStore()
        try store.put([grant("acme.test.A", "a", ttl: 60_000), grant("acme.prod.A", "b", ttl: 60_000), grant("acme.test.C", "c", ttl: 60_000)])
        XCTAssertEqual(store.relock(env: "test"), [slug("acme.test.A"), slug("acme.test.C")])
        XCTAssertEqual(store.status().map(\.slug), [slug("acme.prod.A")])
        XCTAssertEqual(store.relock(), [slug("acme.prod.A")])
        XCTAssertEqual(store.status(), [])
    }

    func testHardeningMakesTheProcessUndumpable() {
        Hardening.apply()
        XCTAssertFalse(Hardening.isDumpable)
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_CORE.rawValue), &limit)
        XCTAssertEqual(limit.rlim_cur, 0)
    }

    /// A grant with a revocation ends into the revoker's hands, value intact, at relock, at
    /// expiry and when a new unlock replaces it; one without is wiped and never handed over.
    func testEndedGrantsWithARevocationAreHandedOverForRevoking() throws {
        let clock = FakeClock()
        let store = GrantStore(now: { clock.now })
        func revocable(_ s: String, _ v: String, ttl: UInt64) -> GrantRequest {
            GrantRequest(slug: slug(s), vault: "os.secure", ttlMilliseconds: ttl, value: Array(v.utf8), revocation: "note \(s)")
        }
        func taken() -> [String] {
            store.takeRevocations().map { r in defer { r.wipe() }; return r.note + "=" + r.withValue { String(decoding: $0, as: UTF8.self) } }
        }
        try store.put([revocable("acme.test.A", "a1", ttl: 1000), revocable("acme.test.B", "b1", ttl: 60_000), grant("acme.test.C", "c", ttl: 1000)])
        XCTAssertEqual(taken(), [])
        try store.put([revocable("acme.test.B", "b2", ttl: 60_000)])
        XCTAssertEqual(taken(), ["note acme.test.B=b1"], "the replaced token")
        clock.now += 1000
        _ = store.lookup(key: "acme.test.A")
        XCTAssertEqual(taken(), ["note acme.test.A=a1"], "expired, C wiped without a word")
        store.relock()
        XCTAssertEqual(taken(), ["note acme.test.B=b2"])
        XCTAssertEqual(taken(), [], "handed over once")
    }

    /// A grant's revocation secret (an OpenBao lease token) is kept guarded beside its value,
    /// never answered to a lookup, and handed to the revoker with the note when the grant ends.
    func testTheRevocationSecretGoesToTheRevokerOnly() throws {
        let store = GrantStore()
        try store.put([GrantRequest(slug: slug("acme.prod.DB_USER"), vault: "openbao", ttlMilliseconds: 60_000, value: Array("v-user".utf8),
                                    revocation: "lease", revocationSecret: Array("s.lease".utf8))])
        guard case .granted(_, let value) = store.lookup(key: "acme.prod.DB_USER") else { return XCTFail() }
        XCTAssertEqual(value, Array("v-user".utf8), "a lookup answers the value alone")
        store.relock()
        let taken = store.takeRevocations()
        XCTAssertEqual(taken.count, 1)
        XCTAssertEqual(taken.first?.withSecret { $0.map { String(decoding: $0, as: UTF8.self) } }, "s.lease")
        taken.forEach { $0.wipe() }
    }

    /// A re-unlock renews each held grant in place: the old value is zeroed before `put`
    /// returns, handed back (wiped) for the caller to free later, and the grant now carries the
    /// request's value, TTL, vault and destinations. Whatever order the slugs come in (the last
    /// unlock's, reversed, a subset, a slug twice, new ones among them), each ends up once.
    func testAReUnlockRenewsEachGrantInPlaceInAnyOrder() throws {
        let clock = FakeClock()
        let store = GrantStore(now: { clock.now })
        let names = (0..<50).map { "acme.test.K\($0)" }
        try store.put(names.map { grant($0, "v0-\($0)", ttl: 1000) })
        let orders: [[String]] = [names, names.reversed(), Array(names[10..<20]), [names[3], names[3], "acme.test.NEW"] + names.shuffled()]
        for (round, order) in orders.enumerated() {
            let old = try order.compactMap { store._storage(for: slug($0)) }
            let stored = try store.put(asSent: order.map {
                GrantRequest(slug: slug($0), vault: "v\(round)", ttlMilliseconds: 5000 + UInt64(round), value: Array("v\(round + 1)-\($0)".utf8), sendTo: ["h\(round)"])
            }, catalog: nil)
            XCTAssertTrue(old.allSatisfy(\.isZeroed), "round \(round): a replaced value must be zeroed before put returns")
            // Handed back: one per grant renewed (a slug sent twice renews the grant it just got).
            XCTAssertTrue(Set(old.map(ObjectIdentifier.init)).isSubset(of: Set(stored.wiped.map(ObjectIdentifier.init))), "round \(round)")
            XCTAssertEqual(stored.wiped.count, order.filter { $0 != "acme.test.NEW" }.count, "round \(round)")
            XCTAssertTrue(stored.wiped.allSatisfy(\.isZeroed), "round \(round)")
            for name in Set(order) {
                guard case .granted(let info, let value) = store.lookup(key: name) else { return XCTFail(name) }
                XCTAssertEqual(value, Array("v\(round + 1)-\(name)".utf8), name)
                XCTAssertEqual(info.vault, "v\(round)")
                XCTAssertEqual(info.sendTo, ["h\(round)"])
                XCTAssertEqual(info.remainingMilliseconds, 5000 + UInt64(round))
            }
        }
        XCTAssertEqual(store.status().count, 51)
        XCTAssertEqual(store.relock().map(\.description).sorted(), (names + ["acme.test.NEW"]).sorted())
    }

    /// Relocks and expiries move grants within the table (the last into a removed one's
    /// place); the grants left are still found, by a re-unlock in the old order and by `get`.
    func testGrantsLeftAfterRemovalsAreFoundAndRenewed() throws {
        let clock = FakeClock()
        let store = GrantStore(now: { clock.now })
        try store.put((0..<20).map { grant("acme.test.K\($0)", "a", ttl: $0 % 4 == 0 ? 100 : 10_000) })
        store.relock(key: "acme.test.K1")
        store.relock(key: "acme.test.K19")
        clock.now += 200
        XCTAssertEqual(store.purgeExpired(), 13)
        let left = (0..<20).filter { $0 % 4 != 0 && $0 != 1 && $0 != 19 }.map { "acme.test.K\($0)" }
        try store.put(left.map { grant($0, "b-\($0)", ttl: 10_000) })
        XCTAssertEqual(store.status().count, 13)
        for name in left {
            guard case .granted(_, let value) = store.lookup(key: name) else { return XCTFail(name) }
            XCTAssertEqual(value, Array("b-\(name)".utf8))
        }
        guard case .expired = store.lookup(key: "acme.test.K4") else { return XCTFail("K4 expired") }
        guard case .locked = store.lookup(key: "acme.test.K1") else { return XCTFail("K1 relocked") }
    }
}
