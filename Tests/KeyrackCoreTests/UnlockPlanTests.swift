import Foundation
@testable import KeyrackCore
import XCTest
import KeyrackNames

/// The unlock rules without a daemon, a card or a vault: which keys are granted, for how long,
/// and which stay locked with what reason.
final class UnlockPlanTests: XCTestCase {
    private let now: UInt64 = 1_800_000_000_000

    private func entry(_ env: String, _ key: String, maxDuration: String? = nil, vault: Vault = .osSecure) throws -> KeyEntry {
        KeyEntry(slug: Slug(org: try OrgName("acme"), env: try EnvName(env), key: try KeyName(key)), vault: vault, exid: nil,
                 mech: vault.defaultMechanism, maxDuration: try maxDuration.map(Duration.init),
                 createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z")
    }

    private func value(_ e: KeyEntry, _ bytes: String, expiresAt: Date? = nil) -> UnlockPlan.Read {
        .init(outcome: .values([KeySource.Value(key: e.slug.key, value: Array(bytes.utf8), expiresAt: expiresAt)]), source: e.vault.rawValue)
    }

    func testDefaultDurationsAndTheMaxDurationCap() throws {
        XCTAssertEqual(UnlockPlan.defaultSeconds(env: "sudo"), 1800)
        XCTAssertEqual(UnlockPlan.defaultSeconds(env: "prod"), 9 * 3600)
        let plain = try entry("prod", "A"), capped = try entry("prod", "B", maxDuration: "10m")
        let plan = try UnlockPlan(entries: [plain, capped], requestedSeconds: 3600, nowMilliseconds: now) { self.value($0, "v-\($0.slug.key)") }
        XCTAssertEqual(plan.grants.map(\.ttlMilliseconds), [3_600_000, 600_000])
        XCTAssertEqual(plan.grants.map { String(decoding: $0.value, as: UTF8.self) }, ["v-A", "v-B"])
        XCTAssertEqual(plan.capped.map(\.slug), [capped.slug])
        XCTAssertEqual(plan.capped.first?.cap, .maxDuration("10m"))
        XCTAssertEqual(plan.capped.first?.cap.description, "10m by its maxDuration")
        XCTAssertTrue(plan.omitted.isEmpty)
    }

    func testSudoIsCappedAtThirtyMinutesUnlessTheKeySaysMore() throws {
        let bare = try entry("sudo", "ROOT"), allowed = try entry("sudo", "LONG", maxDuration: "2h")
        let plan = try UnlockPlan(entries: [bare, allowed], requestedSeconds: 720 * 3600, nowMilliseconds: now) { self.value($0, "x") }
        XCTAssertEqual(plan.grants.map(\.ttlMilliseconds), [1_800_000, 7_200_000])
        XCTAssertTrue(plan.capped.contains { $0.slug == bare.slug && $0.cap == .sudo }, "\(plan.capped)")
        // The cap says what lifts it in words naming no option (the CLI words it as --max-duration).
        XCTAssertEqual(UnlockPlan.Cap.sudo.description, "30m (the cap of sudo keys; a maxDuration of the key's own allows more)")
    }

    func testALeaseAndACredentialsExpiryCutTheTTLAndAnExpiredOneStaysLocked() throws {
        let leased = try entry("prod", "BAO"), minted = try entry("prod", "TOKEN"), stale = try entry("prod", "OLD")
        let plan = try UnlockPlan(entries: [leased, minted, stale], requestedSeconds: 3600, nowMilliseconds: now) { e in
            switch e.slug.key {
            case "BAO": return .init(outcome: .values([KeySource.Value(key: "BAO", value: [1])]), leaseSeconds: 120, source: "openbao:secret/x#y")
            case "TOKEN": return self.value(e, "ghs_x", expiresAt: Date(timeIntervalSince1970: Double(self.now) / 1000 + 300))
            default: return self.value(e, "gone", expiresAt: Date(timeIntervalSince1970: Double(self.now) / 1000))
            }
        }
        XCTAssertEqual(plan.grants.map(\.slug), [leased.slug, minted.slug])
        XCTAssertEqual(plan.grants.map(\.ttlMilliseconds), [120_000, 300_000])
        XCTAssertEqual(plan.grants.map(\.source), ["openbao:secret/x#y", "os.secure"])
        XCTAssertEqual(plan.grants[1].credentialEnd, now + 300_000)
        XCTAssertEqual(plan.omitted.map(\.slug), [stale.slug])
        XCTAssertEqual(plan.omitted.first?.reason, "the credential it minted expires at once")
        XCTAssertEqual(plan.capped.map(\.cap), [.lease(seconds: 120), .credentialExpiry("2027-01-15T08:05:00Z")])
        XCTAssertEqual(plan.capped.map(\.cap.description), ["120s by its OpenBao lease", "the credential's own expiry (2027-01-15T08:05:00Z)"])
    }

    /// `mintsCredentials` says whether the caller has TTLs to cut again: only for a credential
    /// with an end of its own (granted, or refused because it ends at once), never for stored keys.
    func testOnlyACredentialWithAnEndMakesThePlanMintCredentials() throws {
        let stored = try UnlockPlan(entries: [try entry("prod", "A"), try entry("prod", "B")], requestedSeconds: 60, nowMilliseconds: now) { self.value($0, "v") }
        XCTAssertFalse(stored.mintsCredentials)
        let token = try entry("prod", "TOKEN")
        let minted = try UnlockPlan(entries: [try entry("prod", "A"), token], requestedSeconds: 60, nowMilliseconds: now) { e in
            self.value(e, "v", expiresAt: e.slug == token.slug ? Date(timeIntervalSince1970: Double(self.now) / 1000 + 300) : nil)
        }
        XCTAssertTrue(minted.mintsCredentials)
        XCTAssertEqual(minted.grants.map(\.credentialEnd), [nil, now + 300_000])
        let stale = try UnlockPlan(entries: [token], requestedSeconds: 60, nowMilliseconds: now) { self.value($0, "v", expiresAt: Date(timeIntervalSince1970: Double(self.now) / 1000)) }
        XCTAssertTrue(stale.grants.isEmpty)
        XCTAssertTrue(stale.mintsCredentials)
    }

    func testDerivedKeysShareTheirKeysTTLAndAMissingKeyIsOmittedWithItsReason() throws {
        let profile = try entry("prod", "AWS_PROFILE", vault: .awsConfig), absent = try entry("prod", "FROM_ENV", vault: .osEnvvar)
        let end = Date(timeIntervalSince1970: Double(now) / 1000 + 900)
        let plan = try UnlockPlan(entries: [profile, absent], requestedSeconds: 3600, nowMilliseconds: now) { e in
            guard e.vault == .awsConfig else { return .init(outcome: .missing("FROM_ENV is not set in this environment"), source: "os.envvar") }
            return .init(outcome: .values(["AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN"].map {
                KeySource.Value(key: $0, value: Array("v".utf8), expiresAt: $0 == "AWS_PROFILE" ? nil : end)
            }), source: "aws.config")
        }
        XCTAssertEqual(plan.grants.map(\.slug.key), ["AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN"])
        XCTAssertEqual(Set(plan.grants.map(\.ttlMilliseconds)), [900_000], "every derived key lives as long as the credential")
        XCTAssertEqual(plan.omitted.map(\.reason), ["FROM_ENV is not set in this environment"])
        plan.wipe()
        XCTAssertTrue(plan.grants.allSatisfy { $0.value.allSatisfy { $0 == 0 } }, "wipe zeroes every value")
    }

    /// The plan's values share storage with what they were read from (the opened manifest's
    /// secrets): wipe zeroes that storage itself, not a copy of it.
    func testWipeZeroesTheStorageTheValuesShareWithTheirSource() throws {
        let key = try entry("prod", "A")
        let source = Array("s3cret".utf8)
        let plan = try UnlockPlan(entries: [key], requestedSeconds: 60, nowMilliseconds: now) {
            .init(outcome: .values([KeySource.Value(key: $0.slug.key, value: source)]), source: "os.secure")
        }
        plan.wipe()
        XCTAssertEqual(source.count, 6)
        XCTAssertTrue(source.allSatisfy { $0 == 0 }, "the source still holds the value after wipe")
    }

    func testAReadErrorEndsThePlan() throws {
        struct Unreachable: Error {}
        XCTAssertThrowsError(try UnlockPlan(entries: [try entry("prod", "A")], requestedSeconds: 60, nowMilliseconds: now) { _ in throw Unreachable() }) {
            XCTAssertTrue($0 is Unreachable)
        }
    }

    /// An os.secure key is read from the manifest alone: the process environment (a dictionary
    /// built from environ, once per key when it was a default argument) is not read at all,
    /// while an os.envvar key still reads it.
    func testAnOSSecureKeyDoesNotReadTheEnvironment() throws {
        let secure = try entry("prod", "API"), fromEnv = try entry("prod", "HOME_TOKEN", vault: .osEnvvar)
        var manifest = HostManifest(owner: OwnerRecord(name: try OwnerName("robot"), via: .age, pubkey: "age1example"))
        manifest.keys[secure.slug] = secure
        manifest.keys[fromEnv.slug] = fromEnv
        manifest.secrets[secure.slug] = Array("s3cret".utf8)
        var reads = 0
        func environment() -> [String: String] { reads += 1; return ["HOME_TOKEN": "from-env"] }
        let post: HTTPPost = { _, _, _ in throw KeyrackError.failure("no HTTP in this test") }
        guard case .values(let values) = try KeySource.resolve(secure, manifest: manifest, direct: [:], environment: environment(), post: post) else {
            return XCTFail("os.secure key not read")
        }
        XCTAssertEqual(values.map(\.value), [Array("s3cret".utf8)])
        XCTAssertEqual(reads, 0, "an os.secure key read the process environment")
        guard case .values(let envValues) = try KeySource.resolve(fromEnv, manifest: manifest, direct: [:], environment: environment(), post: post) else {
            return XCTFail("os.envvar key not read")
        }
        XCTAssertEqual(envValues.map(\.value), [Array("from-env".utf8)])
        XCTAssertEqual(reads, 1)
    }

    /// A key whose mechanism hands its value out as stored comes back as that value alone
    /// (`KeySource.Resolved.own`, no array per key), the storage the manifest holds; a minted or
    /// missing one as its outcome. `resolve` still answers both as outcomes.
    func testAKeysOwnValueIsResolvedAloneInTheManifestsStorage() throws {
        let secure = try entry("prod", "API"), absent = try entry("prod", "GONE")
        var manifest = HostManifest(owner: OwnerRecord(name: try OwnerName("robot"), via: .age, pubkey: "age1example"))
        manifest.keys[secure.slug] = secure
        manifest.keys[absent.slug] = absent
        manifest.secrets[secure.slug] = Array("s3cret".utf8)
        let post: HTTPPost = { _, _, _ in throw KeyrackError.failure("no HTTP in this test") }
        guard case .own(let value) = try KeySource.resolved(secure, manifest: manifest, direct: [:], environment: [:], post: post) else {
            return XCTFail("os.secure key not read as its own value")
        }
        XCTAssertEqual(value, Array("s3cret".utf8))
        let plan = try UnlockPlan(entries: [secure], requestedSeconds: 60, nowMilliseconds: now) { e in
            .init(resolved: try KeySource.resolved(e, manifest: manifest, direct: [:], environment: [:], post: post), source: "os.secure")
        }
        plan.wipe()
        XCTAssertTrue(manifest.secrets[secure.slug]!.allSatisfy { $0 == 0 }, "the plan's value is not the manifest's storage")
        guard case .outcome(.missing(let why)) = try KeySource.resolved(absent, manifest: manifest, direct: [:], environment: [:], post: post) else {
            return XCTFail("a key without a value resolved to one")
        }
        XCTAssertEqual(why.description, "no os.secure value in the manifest: set the key again")
    }

    /// The plan grants a key's own value alone exactly as it grants the same value as an outcome
    /// of one value: slug, source, TTL (asked for, cut by maxDuration, a lease, the sudo cap),
    /// destinations, no credential end or revocation, the same caps noted in the same order.
    func testAKeysOwnValueIsGrantedAsTheSameValueAsAnOutcome() throws {
        let entries = [try entry("prod", "A"), try entry("prod", "B", maxDuration: "10m"), try entry("sudo", "ROOT"),
                       try entry("sudo", "LONG", maxDuration: "2h"), try entry("prod", "LEASED")]
        func plan(own: Bool) throws -> UnlockPlan {
            try UnlockPlan(entries: entries, requestedSeconds: 3 * 3600, nowMilliseconds: now) { e in
                let bytes = Array("v-\(e.slug.key)".utf8), lease = e.slug.key == "LEASED" ? 120 : nil
                return own ? .init(resolved: .own(bytes), leaseSeconds: lease, source: "os.secure")
                    : .init(outcome: .values([KeySource.Value(key: e.slug.key, value: bytes)]), leaseSeconds: lease, source: "os.secure")
            }
        }
        let alone = try plan(own: true), asOutcome = try plan(own: false)
        XCTAssertEqual(alone.grants.map(\.slug), asOutcome.grants.map(\.slug))
        XCTAssertEqual(alone.grants.map(\.source), asOutcome.grants.map(\.source))
        XCTAssertEqual(alone.grants.map(\.ttlMilliseconds), [10_800_000, 600_000, 1_800_000, 7_200_000, 120_000])
        XCTAssertEqual(alone.grants.map(\.ttlMilliseconds), asOutcome.grants.map(\.ttlMilliseconds))
        XCTAssertEqual(alone.grants.map(\.value), asOutcome.grants.map(\.value))
        XCTAssertEqual(alone.grants.map(\.sendTo), asOutcome.grants.map(\.sendTo))
        XCTAssertEqual(alone.grants.map(\.credentialEnd), asOutcome.grants.map(\.credentialEnd))
        XCTAssertEqual(alone.grants.map(\.revocation), asOutcome.grants.map(\.revocation))
        XCTAssertEqual(alone.capped.map(\.slug), asOutcome.capped.map(\.slug))
        XCTAssertEqual(alone.capped.map(\.cap), [.maxDuration("10m"), .sudo, .maxDuration("2h"), .lease(seconds: 120)])
        XCTAssertEqual(alone.capped.map(\.cap), asOutcome.capped.map(\.cap))
        XCTAssertFalse(alone.mintsCredentials)
    }
}
