import Foundation
import KeyrackApp
import KeyrackCore
import KeyrackNames
import TestSupport
import XCTest

/// `set` per vault, `list` and `del` in-process on an age owner: what each vault stores where
/// (the manifest, read back with Debian's `age`; the os.direct file; the daemon only), the
/// outcome of a set again, the env filter, and del's idempotence. The set and del lines the CLI
/// prints: CLITests/ManifestVaultTests.swift.
final class ManifestVaultTests: XCTestCase {
    private var dir: TempDirectory!
    private var store: HostManifestStore!
    private var effects: RecordedEffects!
    private let owner = try! OwnerName("seaturtle")

    override func setUpWithError() throws {
        dir = try TempDirectory("keyrack-vaults")
        store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
        effects = RecordedEffects()
        try makeAgeOwner("seaturtle", in: store, userHome: dir.url)
    }

    override func tearDown() { dir.remove() }

    @discardableResult
    private func set(_ key: String, env: String, vault: Vault, maxDuration: String? = nil, value: String = "") throws -> KeyChange.SetResult {
        let input = KeyChange.SetInput(owner: owner, org: "acme", env: try EnvName(env), key: try KeyName(key), vault: vault,
                                       maxDuration: try maxDuration.map { try Duration($0) }, directory: dir.url)
        return try KeyChange.set(input, store: store, identities: { try self.store.identities(for: self.owner) }, value: { _ in Array(value.utf8) }, effects: effects)
    }

    private func plaintext() throws -> String {
        let r = try Run.process("age", ["-d", "-i", store.home.ageIdentity(owner).path, store.home.manifest(owner).path])
        XCTAssertEqual(r.status, 0, "\(r)")
        return r.out
    }

    func testSecureValueIsStoredExactlyAndASecondSetSaysUnchangedOrUpdated() throws {
        let value = "-----BEGIN KEY-----\nline \"two\" # hash\n\ttab: colon\n-----END KEY-----"
        let created = try set("DEPLOY_KEY", env: "prod", vault: .osSecure, maxDuration: "30m", value: value)
        XCTAssertEqual(created.outcome, .created)
        XCTAssertEqual([created.entry.slug.description, created.entry.vault.rawValue, created.entry.mech.rawValue],
                       ["acme.prod.DEPLOY_KEY", "os.secure", "PERMANENT_VIA_REPLICA"])
        let plain = try plaintext()
        XCTAssertTrue(plain.contains("acme.prod.DEPLOY_KEY: \"-----BEGIN KEY-----\\nline \\\"two\\\" # hash\\n\\ttab: colon\\n-----END KEY-----\""), plain)
        XCTAssertTrue(plain.contains("maxDuration: \"30m\""), plain)
        XCTAssertEqual(try set("DEPLOY_KEY", env: "prod", vault: .osSecure, maxDuration: "30m", value: value).outcome, .unchanged)
        XCTAssertEqual(try set("DEPLOY_KEY", env: "prod", vault: .osSecure, value: "other").outcome, .updated)
        XCTAssertTrue(try plaintext().contains("acme.prod.DEPLOY_KEY: other\n"))
    }

    func testDirectEnvvarDaemonVaults() throws {
        try set("REGION", env: "all", vault: .osDirect, value: "eu-west-1")
        try set("HOME_DIR", env: "test", vault: .osEnvvar)
        let held = try set("SESSION", env: "test", vault: .osDaemon, value: "session-value")
        XCTAssertEqual(held.heldByDaemon?.description, "acme.test.SESSION")
        XCTAssertEqual(effects.held.map(\.slug), ["acme.test.SESSION"], "an os.daemon value goes to the daemon")
        let direct = store.home.direct(owner)
        XCTAssertEqual((try FileManager.default.attributesOfItem(atPath: direct.path)[.posixPermissions] as? Int).map { $0 & 0o777 }, 0o600)
        XCTAssertEqual(try String(contentsOf: direct, encoding: .utf8), "version: 1\nvalues:\n  acme.all.REGION: eu-west-1\n")
        let plain = try plaintext()
        XCTAssertTrue(plain.contains("secrets: {}"), "only os.secure values live in the manifest: \(plain)")
        XCTAssertFalse(plain.contains("eu-west-1") || plain.contains("session-value"))
        let manifest = try store.load(owner: owner, identities: try store.identities(for: owner))
        XCTAssertEqual(manifest.keys(env: nil).map { "\($0.slug) \($0.vault.rawValue) \($0.mech.rawValue)" }, [
            "acme.all.REGION os.direct PERMANENT_VIA_REPLICA",
            "acme.test.HOME_DIR os.envvar PERMANENT_VIA_REPLICA",
            "acme.test.SESSION os.daemon EPHEMERAL_VIA_SESSION",
        ])
        XCTAssertEqual(manifest.keys(env: "test").count, 3, "ORG.all.KEY answers every env")
        // del removes the direct value too, and is idempotent.
        func del() throws -> Bool {
            try KeyChange.delete(owner: owner, org: "acme", env: try EnvName("all"), key: try KeyName("REGION"), directory: dir.url,
                                 store: store, identities: { try self.store.identities(for: self.owner) }, effects: effects).removed
        }
        XCTAssertTrue(try del())
        XCTAssertFalse(try del(), "already absent")
        XCTAssertEqual(try String(contentsOf: direct, encoding: .utf8), "version: 1\nvalues: {}\n")
    }
}
