import Foundation
import KeyrackApp
import KeyrackClient
import KeyrackCore
import KeyrackNames
import TestSupport
import XCTest

/// `migrate` in-process on the TypeScript keyrack's files (TestSupport's fixture, made with
/// Debian's `age`): every key, recipient and value carried; the old files left byte-identical;
/// an owner whose file does not open or is damaged reported, and nothing written for it.
final class TypeScriptMigrationTests: XCTestCase {
    private typealias TS = TypeScriptKeyrackFixture

    func testMigrateCarriesEveryKeyRecipientAndValueLeavesOldFilesAndReportsWhatCannotMove() throws {
        let dir = try TempDirectory("keyrack-migrate")
        defer { dir.remove() }
        let home = dir.file("home"), root = dir.file("kr"), store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
        let sshKey = home.appendingPathComponent(".ssh/id_ed25519")
        try FileManager.default.createDirectory(at: sshKey.deletingLastPathComponent(), withIntermediateDirectories: true)
        XCTAssertEqual(try Run.process("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", sshKey.path]).status, 0)
        let sshPub = try String(contentsOf: URL(fileURLWithPath: sshKey.path + ".pub"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let paper = dir.file("paper.key"), robotKey = dir.file("robot.key"), lost = dir.file("lost.key")
        var pubs: [URL: String] = [:]
        for key in [paper, robotKey, lost] {
            XCTAssertEqual(try Run.process("age-keygen", ["-o", key.path]).status, 0)
            pubs[key] = try Run.process("age-keygen", ["-y", key.path]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // Default owner (`human` here): to the ssh key and a paper age key.
        let f = TS.Keys()
        try f.write(recipients: [["mech": "ssh", "pubkey": sshPub, "label": "default", "addedAt": "2026-03-01T10:00:00.000Z"],
                                 ["mech": "age", "pubkey": pubs[paper]!, "label": "paper", "addedAt": "2026-03-03T09:00:00.000Z"]],
                    to: [sshKey.path + ".pub", pubs[paper]!], in: root)
        // A robot on an age key only; one on a key nobody here has; one damaged file.
        let robotValue = UUID().uuidString, xai = "ehmpathy.prep.XAI_API_KEY"
        try TS.seal(try TS.manifestJSON(owner: "mechanic", uri: "~/.rhachet/keyrack/keyrack.host.mechanic.age",
                                        recipients: [["mech": "age", "pubkey": pubs[robotKey]!, "label": "mechanic", "addedAt": "2026-03-01T10:00:00.000Z"]],
                                        hosts: [xai: TS.host(xai, vault: "os.secure", mech: "PERMANENT_VIA_REPLICA")]),
                    to: [pubs[robotKey]!], at: root.appendingPathComponent("keyrack.host.mechanic.age"))
        try TS.sealValue(robotValue, slug: xai, owner: "mechanic", to: [pubs[robotKey]!], in: root)
        try TS.seal(try TS.manifestJSON(owner: "ghost", uri: "x", recipients: [], hosts: [:]), to: [pubs[lost]!], at: root.appendingPathComponent("keyrack.host.ghost.age"))
        try FileManager.default.removeItem(at: lost)
        try Data("-----BEGIN AGE ENCRYPTED FILE-----\nnot age at all\n".utf8).write(to: root.appendingPathComponent("keyrack.host.broken.age"))
        let old = try fileSnapshot(root)
        func migrate(_ owners: [String] = [], dryRun: Bool = false, replace: Bool = false) -> MigrateJSON {
            let request = TypeScriptMigration.Request(owners: owners, identityPaths: [sshKey.path, robotKey.path], dryRun: dryRun, replace: replace,
                                                      userHome: home, interaction: .nonInteractive)
            return MigrateJSON(dryRun: dryRun, reports: TypeScriptMigration(store: store).run(request)) { "\($0)" }
        }
        let human = OwnerName.human, mechanic = try OwnerName("mechanic")

        // Before: the owner's error points to migrate instead of "not initialised" (a usage error, exit 2).
        XCTAssertThrowsError(try store.requireInitialised(mechanic)) { error in
            let e = error as? KeyrackError
            XCTAssertEqual(e?.kind, .usage)
            XCTAssertEqual(e?.remedy, .migrate(owner: "mechanic", orStartEmpty: false))
            XCTAssertTrue(e?.problem.contains("keyrack.host.mechanic.age") == true, "\(error)")
        }
        // A dry run writes nothing and says what would move; two owners cannot be migrated (exit 1).
        let dry = migrate(dryRun: true)
        XCTAssertTrue(dry.anyFailed)
        XCTAssertEqual(dry.owners.first.map { "\($0.owner) \($0.status) \($0.keys.count) \($0.recipients)" }, "human would-migrate 20 [\"paper\"]")
        XCTAssertEqual(try fileSnapshot(root), old, "the dry run wrote nothing")

        let run = migrate()
        XCTAssertTrue(run.anyFailed)
        XCTAssertEqual(run.owners.map(\.owner), ["human", "broken", "ghost", "mechanic"])
        let by = Dictionary(uniqueKeysWithValues: run.owners.map { ($0.owner, $0) })
        XCTAssertEqual(by["human"]?.status, "migrated")
        XCTAssertEqual(by["human"]?.openedWith, sshKey.path)
        XCTAssertEqual(by["human"]?.keys.count, 20)
        XCTAssertEqual(by["human"]?.recipients, ["paper"])
        XCTAssertEqual(by["human"]?.notMoved.map { "\($0.subject): \($0.reason)" }, ["testorg.prod.GH_SECRET: vault 'github.secrets' has no keyrack counterpart"])
        XCTAssertEqual(by["mechanic"]?.status, "migrated")
        XCTAssertEqual([by["ghost"]?.status, by["broken"]?.status], ["failed", "failed"])
        XCTAssertTrue(by["ghost"]?.problem?.hasPrefix("cannot decrypt \(root.path)/keyrack.host.ghost.age") == true, "\(String(describing: by["ghost"]))")
        XCTAssertTrue(by["broken"]?.problem?.contains("is damaged") == true, "\(String(describing: by["broken"]))")
        for gone in ["ghost", "broken"] { XCTAssertFalse(store.isInitialised(try OwnerName(gone)), "nothing written for \(gone)") }
        XCTAssertEqual(try fileSnapshot(root).filter { old[$0.key] != nil }, old, "the TypeScript files are byte-identical")

        // Every field round-trips, as `list --json` shows it.
        let manifest = try store.load(owner: human, identities: try store.identities(for: human, explicitPaths: [sshKey.path]))
        let keys = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(JSONLine.encode(manifest.keys.values.map { KeyEntryJSON($0, source: nil) }).utf8)) as? [[String: Any]])
        XCTAssertEqual(Set(keys.compactMap { $0["slug"] as? String }), Set(f.hosts.keys).subtracting(["testorg.prod.GH_SECRET"]))
        for key in keys {
            let slug = key["slug"] as! String, want = try XCTUnwrap(f.hosts[slug])
            for field in ["vault", "mech", "env", "org", "exid", "maxDuration", "createdAt", "updatedAt"] {
                XCTAssertEqual("\(key[field] ?? "absent")", "\(want[field] ?? "absent")", "\(slug) \(field)")
            }
        }
        XCTAssertEqual(RecipientListJSON(owner: "human", manifest: manifest).recipients.map { "\($0.label) \($0.pubkey)" }, ["primary \(sshPub)", "paper \(pubs[paper]!)"])
        XCTAssertEqual(try Run.process("age", ["-d", "-i", paper.path, store.home.manifest(human).path]).status, 0, "the paper key still opens the owner's manifest")
        // The values: os.secure from the vault files (the sudo key too), os.direct from its JSON.
        for slug in ["testorg.prod.API_KEY", "testorg.prod.DB_PASSWORD", "acme.prod.STRIPE", "testorg.all.SHARED", "@all.sudo.GITHUB_TOKEN"] {
            XCTAssertEqual(manifest.secrets[Slug(parsing: slug)!].map { String(decoding: $0, as: UTF8.self) }, f.secure[slug], slug)
        }
        XCTAssertEqual(try store.directValues(owner: human)[Slug(parsing: "testorg.prod.REGION")!], Array(f.direct["testorg.prod.REGION"]!.utf8))
        let robot = try store.load(owner: mechanic, identities: try store.identities(for: mechanic, explicitPaths: [robotKey.path]))
        XCTAssertEqual(robot.secrets[Slug(parsing: xai)!], Array(robotValue.utf8))

        // A second run changes nothing: the migrated owner is refused, never overwritten.
        let after = try fileSnapshot(root)
        let again = migrate(["human"])
        XCTAssertTrue(again.anyFailed)
        XCTAssertEqual(again.owners.first?.problem, "owner human already has a keyrack manifest (\(store.home.manifest(human).path)); it was left as it is")
        XCTAssertEqual(again.owners.first?.fix, "\(MigrationError.Remedy.replaceOrAddTheMissingKeys)")
        XCTAssertEqual(try fileSnapshot(root), after)

        // Told to: replace renames the keyrack owner's files (never deletes them) and migrates again.
        let previous = try Data(contentsOf: store.home.manifest(human))
        let replaced = migrate(["human"], replace: true)
        XCTAssertFalse(replaced.anyFailed)
        XCTAssertEqual(replaced.owners.first?.status, "migrated")
        let aside = try XCTUnwrap(replaced.owners.first?.setAside)
        let asideManifest = try XCTUnwrap(aside.first { $0.hasPrefix(store.home.manifest(human).path + ".before-migrate-") }, "\(aside)")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: asideManifest)), previous, "the replaced manifest is kept byte for byte")
        XCTAssertTrue(aside.contains { $0.hasPrefix(root.appendingPathComponent("host.human.recipients.yml").path + ".before-migrate-") }, "\(aside)")
        let again2 = try store.load(owner: human, identities: try store.identities(for: human, explicitPaths: [sshKey.path]))
        XCTAssertEqual(again2.secrets[Slug(parsing: "testorg.prod.API_KEY")!], Array(f.secure["testorg.prod.API_KEY"]!.utf8))
    }
}
