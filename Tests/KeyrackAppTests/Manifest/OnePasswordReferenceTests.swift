import Foundation
@testable import KeyrackApp
import KeyrackCore
import KeyrackNames
import TestSupport
import XCTest

/// 1Password references (`VAULT/ITEM`, `VAULT/ITEM/FIELD`, `op://…`, `--account`) through `set`
/// and `unlock` in-process, against the `op` contract stand-in of CLITests/Fixtures/op (put first
/// on PATH, its items in files under FAKE_OP_VAULTS): the right field reaches the daemon, an
/// ambiguous or fieldless item is refused at set with the fix (exit 2, nothing changed), and an
/// item that became ambiguous stays locked at unlock with the reason.
final class OnePasswordReferenceTests: XCTestCase {
    private var dir: TempDirectory!
    private var store: HostManifestStore!
    private var daemon: FakeDaemon!
    private var events: [UnlockEvent] = []
    private let env = EnvironmentOverride()
    private let owner = try! OwnerName("mechanic")

    override func setUpWithError() throws {
        dir = try TempDirectory("keyrack-op")
        store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
        daemon = FakeDaemon()
        try makeAgeOwner("mechanic", in: store, userHome: dir.url)
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("CLITests/Fixtures").path
        env.set("PATH", fixtures + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"))
        env.set("FAKE_OP_VAULTS", dir.file("op").path)
    }

    override func tearDown() {
        env.restore()
        dir.remove()
    }

    private func opItem(_ reference: String, value: String) throws {
        let file = dir.file("op").appendingPathComponent(String(reference.dropFirst("op://".count)))
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(value.utf8).write(to: file)
    }

    private func set(_ key: String, _ exid: String?, vault: Vault = .onePassword, account: String? = nil, options: [String: String] = [:]) throws {
        // As `set --account` gives it: recorded with the key (for unlock) and used for the check.
        var options = options
        if let account { options[KeyOptions.account] = account }
        let input = KeyChange.SetInput(owner: owner, org: "acme", env: try EnvName("prod"), key: try KeyName(key), vault: vault, exid: exid,
                                       options: options, onePasswordAccount: account, directory: dir.url)
        _ = try KeyChange.set(input, store: store, identities: { try self.store.identities(for: self.owner) }, value: { _ in Array("v".utf8) },
                              effects: QuietEffects())
    }

    private func unlock() throws {
        let unlock = Unlock(store: store, terminal: FakeTerminal(), daemon: daemon, clock: FakeClock(), events: { [unowned self] in events.append($0) },
                            fetchRemote: { _, _, _, _ in [:] })
        _ = try unlock.run(UnlockRequest(owner: owner, env: "prod", key: nil, durationSeconds: nil, pin: .terminal, identityAgent: false,
                                         workingDirectory: dir.url, uid: getuid()))
    }

    private func granted() -> [String: String] {
        Dictionary(daemon.granted.map { ($0.slug.key, String(decoding: $0.value, as: UTF8.self)) }, uniquingKeysWith: { $1 })
    }

    func testItemFieldAndAccountFormsResolveToTheRightField() throws {
        let pat = "ghs_pat_" + UUID().uuidString, db = "db-" + UUID().uuidString, other = "other-" + UUID().uuidString
        try opItem("op://mechanic/github-pat/credential", value: pat)
        try opItem("op://mechanic/github-pat/username", value: "mechanic-bot")
        try opItem("op://mechanic/postgres/password", value: db)
        try opItem("op://mechanic/postgres/username", value: "app")
        try opItem("op://@work.1password.com/mechanic/github-pat/credential", value: other)
        try set("GITHUB_TOKEN", "mechanic/github-pat")
        try set("DB_PASSWORD", "mechanic/postgres")
        try set("DB_USER", "mechanic/postgres/username")
        try set("WORK_TOKEN", "mechanic/github-pat", account: "work.1password.com")
        let manifest = try store.load(owner: owner, identities: try store.identities(for: owner))
        XCTAssertEqual(manifest.keys(env: nil).compactMap(\.exid).sorted(),
                       ["mechanic/github-pat", "mechanic/github-pat", "mechanic/postgres", "mechanic/postgres/username"])
        try unlock()
        XCTAssertEqual(granted()["GITHUB_TOKEN"], pat, "VAULT/ITEM takes the item's credential field")
        XCTAssertEqual(granted()["DB_PASSWORD"], db, "VAULT/ITEM takes a login's password field")
        XCTAssertEqual(granted()["DB_USER"], "app", "VAULT/ITEM/FIELD reads that field")
        XCTAssertEqual(granted()["WORK_TOKEN"], other, "--account reads from that account")
    }

    func testAmbiguousOrFieldlessItemsAndUnknownAccountsAreRefusedAtSet() throws {
        try opItem("op://mechanic/both/credential", value: "one")
        try opItem("op://mechanic/both/password", value: "two")
        try opItem("op://mechanic/note/text", value: "three")
        let before = try Data(contentsOf: store.home.manifest(owner))
        var refusals: [(attempt: () throws -> Void, message: String)] = [
            ({ try self.set("K", "mechanic/both") }, "item mechanic/both has several credential/password fields (credential, password): set the key again with the external id mechanic/both/credential"),
            ({ try self.set("K", "mechanic/note") }, "item mechanic/note has no credential or password field (fields: text): set the key again with the external id mechanic/note/FIELD"),
            ({ try self.set("K", "mechanic/absent") }, "isn't an item in the \"mechanic\" vault"),
            ({ try self.set("K", "mechanic/both/credential", account: "nowhere.1password.com") }, "no account found for filter \"nowhere.1password.com\""),
            ({ try self.set("K", "mechanic/both/credential", options: ["region": "eu-west-1"]) }, "region is only used with vault aws.params"),
        ]
        for bad in ["mechanic", "mechanic//x", "-x/item", "a/b/c/d"] {
            refusals.append(({ try self.set("K", bad) }, "invalid external id '\(bad)' for vault 1password: give the external id as VAULT/ITEM (its credential or password field), VAULT/ITEM/FIELD or op://VAULT/ITEM/FIELD"))
        }
        for (attempt, message) in refusals {
            XCTAssertThrowsError(try attempt(), message) { error in
                XCTAssertEqual((error as? KeyrackError)?.kind, .usage, "exit 2: \(error)")
                XCTAssertTrue("\(error)".contains(message), "\(error)")
                XCTAssertFalse((error as? KeyrackError)?.problem.contains("--") ?? true, "the problem names no option: \(error)")
            }
        }
        XCTAssertEqual(try Data(contentsOf: store.home.manifest(owner)), before, "a refused set changes nothing")
    }

    /// An `op://` reference is checked with op when op is on PATH, stored (never its value), and
    /// stored unchecked without op.
    func testOpURLReferenceIsCheckedWithOpAndStoredWithoutItsValue() throws {
        try opItem("op://keyrack/seaturtle-pat/credential", value: "ghs_value")
        try set("GITHUB_TOKEN", "op://keyrack/seaturtle-pat/credential")
        let plain = try Run.process("age", ["-d", "-i", store.home.ageIdentity(owner).path, store.home.manifest(owner).path]).out
        XCTAssertTrue(plain.contains("exid: \"op://keyrack/seaturtle-pat/credential\"\n    mech: PERMANENT_VIA_REFERENCE"), plain)
        XCTAssertFalse(plain.contains("ghs_value"), "the 1password value is never stored")
        let before = try Data(contentsOf: store.home.manifest(owner))
        XCTAssertThrowsError(try set("NPM_TOKEN", "op://keyrack/absent/credential")) { error in
            XCTAssertEqual((error as? KeyrackError)?.kind, .usage, "exit 2: \(error)")
            XCTAssertTrue("\(error)".contains("1password could not read op://keyrack/absent/credential: [ERROR]"), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: store.home.manifest(owner)), before)
        env.set("PATH", "/usr/bin:/bin")
        XCTAssertNoThrow(try set("NPM_TOKEN", "op://keyrack/absent/credential"), "without op on PATH the reference is stored unchecked")
    }

    func testAnItemThatBecameAmbiguousStaysLockedAtUnlockWithTheReason() throws {
        try opItem("op://mechanic/pat/credential", value: "ghs_" + UUID().uuidString)
        try set("TOKEN", "mechanic/pat")
        try opItem("op://mechanic/pat/password", value: "second")
        try set("OTHER", nil, vault: .osSecure)
        try unlock()
        let why = events.compactMap { if case .stayedLocked(let slug, let why) = $0, slug.description == "acme.prod.TOKEN" { return why } else { return nil } }
        XCTAssertEqual(why.count, 1, "\(events)")
        XCTAssertEqual(why.first?.problem, "1password mechanic/pat: item mechanic/pat has several credential/password fields (credential, password)")
        XCTAssertEqual(why.first?.remedy, .setAgain(.exid, "mechanic/pat/credential"), "the CLI words it: set it again with --exid mechanic/pat/credential")
        XCTAssertEqual(Set(granted().keys), ["OTHER"], "TOKEN is not granted")
    }
}
