@testable import KeyrackApp
import KeyrackCore
import KeyrackDaemon
import KeyrackNames
import XCTest

/// The daemon's requests made from an unlock's plan: every field of each grant, in the plan's
/// order, and each value the plan's own storage (not a copy), so the plan's one wipe zeroes
/// what was handed to the daemon too.
final class GrantRequestPlanTests: XCTestCase {
    func testRequestsAreThePlansGrantsAndShareTheirValuesStorage() throws {
        func entry(_ key: String, sendTo: [String] = []) throws -> KeyEntry {
            KeyEntry(slug: Slug(org: try OrgName("acme"), env: try EnvName("prod"), key: try KeyName(key)), vault: .osSecure, exid: nil,
                     mech: Vault.osSecure.defaultMechanism, maxDuration: nil, sendTo: sendTo.compactMap { Destination($0) },
                     createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z")
        }
        let plain = try entry("A"), sent = try entry("B", sendTo: ["api.example.com:8443"])
        let plan = try UnlockPlan(entries: [plain, sent], requestedSeconds: 60, nowMilliseconds: 0) { e in
            e.slug == plain.slug
                ? .init(outcome: .values([KeySource.Value(key: "A", value: Array("value-a".utf8))]), source: "os.secure")
                : .init(outcome: .values([KeySource.Value(key: "B", value: Array("value-b".utf8), revocation: "lease x", revocationSecret: [7, 7])]),
                        source: "openbao:secret/b#v")
        }
        let requests = GrantRequest.requests(of: plan)
        XCTAssertEqual(requests.map(\.slug), [plain.slug, sent.slug])
        XCTAssertEqual(requests.map(\.vault), ["os.secure", "openbao:secret/b#v"])
        XCTAssertEqual(requests.map(\.ttlMilliseconds), [60_000, 60_000])
        XCTAssertEqual(requests.map { String(decoding: $0.value, as: UTF8.self) }, ["value-a", "value-b"])
        XCTAssertEqual(requests.map(\.revocation), [nil, "lease x"])
        XCTAssertEqual(requests.map(\.revocationSecret), [nil, [7, 7]])
        XCTAssertEqual(requests.map(\.sendTo), [[], ["api.example.com:8443"]])
        XCTAssertEqual(requests.map(\.leaseMilliseconds), [nil, nil])
        plan.wipe()
        for r in requests {
            XCTAssertFalse(r.value.isEmpty)
            XCTAssertTrue(r.value.allSatisfy { $0 == 0 }, "\(r.slug)'s value is a copy the plan's wipe did not reach")
            XCTAssertTrue((r.revocationSecret ?? []).allSatisfy { $0 == 0 })
        }
    }
}
