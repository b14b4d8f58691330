@testable import KeyrackDaemon
import XCTest
import KeyrackNames

/// An UNLOCK's catalog travels as the manifest's slugs that are not among its grants (protocol
/// 7), and the store keeps it as those plus the live grants' slugs. What `get` and `status` say
/// must be what the whole list said: locked versus absent, ambiguous bare names, the count,
/// through relock, expiry and a later unlock with another catalog.
final class UnlockCatalogTests: XCTestCase {
    final class FakeClock: @unchecked Sendable {
        var now: UInt64 = 1_000_000
    }

    private func slug(_ s: String) -> Slug { Slug(parsing: s)! }

    private func grants(_ slugs: [String], ttl: UInt64 = 60_000) -> [GrantRequest] {
        slugs.map { GrantRequest(slug: slug($0), vault: "os.secure", ttlMilliseconds: ttl, value: Array("v-\($0)".utf8)) }
    }

    private let queries: [Query] = [
        Query(key: "acme.test.A"), Query(key: "acme.test.B"), Query(key: "acme.prod.A"), Query(key: "acme.sudo.TOKEN"),
        Query(key: "acme.test.NOPE"), Query(key: "other.test.A"), Query(key: "acme.test.SHORT"), Query(key: "acme.test.GONE"),
        Query(key: "acme.prod.SHARED"), Query(key: "A"), Query(key: "A", env: "test"), Query(key: "A", env: "prod"),
        Query(key: "A", env: "test", org: "other"), Query(key: "TOKEN", env: "sudo"), Query(key: "NOPE", env: "test"),
        Query(key: "SHORT"), Query(key: "GONE", env: "test"), Query(key: "SHARED", env: "prod"),
    ]

    /// Every answer of two stores: one given the whole catalog the old way (setCatalog, then
    /// put), the other the catalog as UNLOCK now carries it.
    private func assertSameAnswers(_ old: GrantStore, _ new: GrantStore, _ step: String, file: StaticString = #filePath, line: UInt = #line) {
        for q in queries {
            XCTAssertEqual(answer(new.lookup(key: q.key, env: q.env, org: q.org)), answer(old.lookup(key: q.key, env: q.env, org: q.org)),
                           "\(step): \(q)", file: file, line: line)
        }
        XCTAssertEqual(new.catalogCount, old.catalogCount, "\(step): catalog count", file: file, line: line)
        XCTAssertEqual(new.status().map(\.slug), old.status().map(\.slug), "\(step): status", file: file, line: line)
    }

    /// A lookup without its wall-clock expiry (read from the clock at each lookup).
    private func answer(_ lookup: GrantLookup) -> GrantLookup {
        guard case .granted(var info, let value) = lookup else { return lookup }
        info.expiresAtWallMilliseconds = 0
        return .granted(info, value: value)
    }

    private func unlock(_ old: GrantStore, _ new: GrantStore, _ granted: [GrantRequest], catalog: [Slug]) throws {
        old.setCatalog(catalog)
        try old.put(granted)
        let request = Request.unlock(granted, catalog: catalog)
        guard case .unlock(let sent, let wire?) = try Request.decode(body: request.encodeBody()) else { return XCTFail("no catalog sent") }
        XCTAssertEqual(wire.count, catalog.count)
        try new.put(sent, catalog: wire.beyondGrants)
    }

    func testACatalogSentBeyondTheGrantsAnswersAsTheWholeOne() throws {
        let clock = FakeClock()
        let old = GrantStore(now: { clock.now }), new = GrantStore(now: { clock.now })
        // A manifest of three envs, unlocked for test, plus a derived slug no manifest lists.
        let manifest = ["acme.all.SHARED", "acme.prod.A", "acme.sudo.TOKEN", "acme.test.A", "acme.test.B", "acme.test.GONE", "acme.test.SHORT", "other.test.A"].map(slug)
        var granted = grants(["acme.test.A", "acme.test.B", "acme.test.DERIVED", "acme.test.GONE", "other.test.A"])
        granted += grants(["acme.test.SHORT"], ttl: 1_000)
        granted.sort { $0.slug < $1.slug }
        try unlock(old, new, granted, catalog: manifest)
        assertSameAnswers(old, new, "unlocked")

        for store in [old, new] { store.relock(key: "acme.test.GONE"); store.relock(key: "acme.test.DERIVED") }
        assertSameAnswers(old, new, "relocked")
        clock.now += 2_000
        assertSameAnswers(old, new, "expired")

        // The manifest lost GONE and gained NOPE; this unlock grants B alone.
        let next = manifest.filter { $0.key != "GONE" } + [slug("acme.test.NOPE")]
        try unlock(old, new, grants(["acme.test.B"]), catalog: next.sorted())
        assertSameAnswers(old, new, "unlocked again")
        for store in [old, new] { store.relock() }
        assertSameAnswers(old, new, "all relocked")
        // An unlock without a catalog (one key) keeps the catalog.
        for store in [old, new] { try store.put(grants(["acme.test.A"])) }
        assertSameAnswers(old, new, "one key")
    }

    /// A catalog out of slug order, with a slug twice, still lists every slug not granted (at
    /// worst one a grant has travels too), and the daemon's answers are the same.
    func testAnUnsortedCatalogStillWorks() throws {
        let old = GrantStore(now: { 5_000 }), new = GrantStore(now: { 5_000 })
        let manifest = ["acme.test.Z", "acme.test.A", "acme.prod.A", "acme.test.M", "acme.test.A", "acme.sudo.TOKEN", "other.test.A"].map(slug)
        let granted = grants(["acme.test.M", "acme.test.A", "acme.test.Z"])
        let wire = UnlockCatalog(manifest, besides: granted)
        XCTAssertEqual(wire.count, manifest.count)
        XCTAssertTrue(Set(manifest).subtracting(granted.map(\.slug)).isSubset(of: Set(wire.beyondGrants)), "\(wire.beyondGrants)")
        try unlock(old, new, granted, catalog: manifest)
        assertSameAnswers(old, new, "unsorted")
        XCTAssertEqual(new.catalogCount, 6)

        var catalog = SlugCatalog(manifest)
        XCTAssertEqual(catalog.slugs, Set(manifest).sorted())
        for s in manifest { XCTAssertTrue(catalog.contains(s), "\(s)") }
        XCTAssertFalse(catalog.contains(slug("acme.test.B")))
        catalog.formUnion([slug("zzz.test.Q"), slug("acme.test.B"), slug("acme.test.A")])
        XCTAssertEqual(catalog.slugs, Set(manifest + [slug("zzz.test.Q"), slug("acme.test.B")]).sorted())
    }

    /// A re-unlock of the whole manifest sends its size and no slug of the catalog: 8 bytes
    /// more than the same UNLOCK without a catalog. Slugs of other envs travel, in order.
    func testAReUnlockOfAWholeManifestSendsNoCatalogSlug() throws {
        let slugs = (0..<500).map { slug(String(format: "bench.test.KEY_%04d", $0)) }
        let granted = slugs.map { GrantRequest(slug: $0, vault: "os.secure", ttlMilliseconds: 1, value: [1]) }
        XCTAssertEqual(Request.unlock(granted, catalog: slugs).encodeBody().count, Request.unlock(granted, catalog: nil).encodeBody().count + 8)

        let others = [slug("bench.prod.KEY_0001"), slug("bench.test.KEY_0007x"), slug("bench.zz.K")]
        let wire = UnlockCatalog((slugs + others).sorted(), besides: granted)
        XCTAssertEqual(wire, UnlockCatalog(count: slugs.count + 3, beyondGrants: others))
    }

    /// An unlock refused (too many grants) still names its keys: `get` says locked, as when the
    /// whole catalog was set before the grants were refused.
    func testARefusedUnlockStillListsItsSlugs() throws {
        let store = GrantStore(now: { 5_000 })
        try store.put((0..<GrantStore.maximumGrants).map { GrantRequest(slug: slug("acme.test.K\($0)"), vault: "v", ttlMilliseconds: 1000, value: [1]) })
        let refused = grants(["acme.test.NEW1", "acme.test.NEW2"])
        XCTAssertThrowsError(try store.put(refused, catalog: [slug("acme.prod.OTHER")]))
        XCTAssertEqual(store.lookup(key: "acme.test.NEW1"), .locked(slug("acme.test.NEW1")))
        XCTAssertEqual(store.lookup(key: "acme.prod.OTHER"), .locked(slug("acme.prod.OTHER")))
        XCTAssertEqual(store.catalogCount, GrantStore.maximumGrants + 3)
    }
}
