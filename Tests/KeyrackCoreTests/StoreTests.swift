import AgeFormat
import Foundation
import XCTest
@testable import KeyrackCore
import TestSupport
import KeyrackNames

/// HostManifestStore end to end with in-process age identities: init once, set/del, recipients,
/// the errors for a wrong identity and a damaged file.
final class StoreTests: XCTestCase {
    var dir: TempDirectory!
    var store: HostManifestStore!
    override func setUpWithError() throws {
        dir = try TempDirectory("keyrack-store")
        store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
    }
    override func tearDown() { dir.remove() }

    private func initAge(_ name: String, pq: Bool = false) throws -> (OwnerName, ManifestIdentities) {
        let owner = try OwnerName(name)
        let request = RecipientSetupRequest(owner: owner, home: store.home, userHome: dir.url, spec: .age(AgeRecipientSpec(postQuantum: pq)))
        guard case .created = try store.initialise(owner: owner, uid: nil, request: request) else {
            throw KeyrackError.usage("initialise did not create owner \(name)")
        }
        return (owner, try store.identities(for: owner))
    }

    func testInitOnceThenAlreadyInitialised() throws {
        let (owner, ids) = try initAge("seaturtle")
        let before = try FileSystem.read(store.home.manifest(owner))
        let again = try store.initialise(owner: owner, uid: nil,
                                         request: RecipientSetupRequest(owner: owner, home: store.home, userHome: dir.url, spec: .age(AgeRecipientSpec(postQuantum: true))))
        guard case .alreadyInitialised(let file) = again else { return XCTFail("re-init must not create") }
        XCTAssertEqual(file?.recipients.first?.via, .age)
        XCTAssertEqual(try FileSystem.read(store.home.manifest(owner)), before)
        let m = try store.load(owner: owner, identities: ids)
        XCTAssertEqual(m.owner.name, owner)
        XCTAssertTrue(m.owner.pubkey.hasPrefix("age1"))
        let identityMode = try FileManager.default.attributesOfItem(atPath: store.home.ageIdentity(owner).path)[.posixPermissions] as? NSNumber
        XCTAssertEqual(identityMode?.intValue, 0o600)
    }

    func testSetListDelAndValues() throws {
        let (owner, ids) = try initAge("mechanic")
        let secure = try Slug(validating: "@all.sudo.GITHUB_TOKEN"), direct = try Slug(validating: "acme.all.REGION")
        let value: [UInt8] = [0, 1, 2, 0xff, 0x0a]
        XCTAssertEqual(try store.setKey(owner: owner, try KeySetRequest(slug: secure, vault: .osSecure, exid: nil, mech: nil, maxDuration: try Duration("30m"), value: value), identities: ids).1, .created)
        XCTAssertEqual(try store.setKey(owner: owner, try KeySetRequest(slug: direct, vault: .osDirect, exid: nil, mech: nil, maxDuration: nil, value: Array("eu-west-1".utf8)), identities: ids).1, .created)
        let m = try store.load(owner: owner, identities: ids)
        XCTAssertEqual(m.secrets[secure], value)
        XCTAssertNil(m.secrets[direct])
        XCTAssertEqual(try store.directValues(owner: owner)[direct], Array("eu-west-1".utf8))
        XCTAssertEqual(m.keys(env: "prod").map(\.slug), [direct], "ORG.all.KEY answers any env")
        XCTAssertEqual(m.keys(env: "sudo", key: "GITHUB_TOKEN").map(\.slug), [secure])
        // Moving a key to another vault drops the value it had.
        try store.setKey(owner: owner, try KeySetRequest(slug: secure, vault: .osEnvvar, exid: nil, mech: nil, maxDuration: nil, value: nil), identities: ids)
        XCTAssertNil(try store.load(owner: owner, identities: ids).secrets[secure])
        XCTAssertTrue(try store.deleteKey(owner: owner, slug: direct, identities: ids))
        XCTAssertFalse(try store.deleteKey(owner: owner, slug: direct, identities: ids))
        XCTAssertNil(try store.directValues(owner: owner)[direct])
    }

    func testWrongIdentityNamesOwnerAndRecipient() throws {
        let (seaturtle, _) = try initAge("seaturtle")
        let (_, mechanicIDs) = try initAge("mechanic")
        let pubkey = try store.load(owner: seaturtle, identities: try store.identities(for: seaturtle)).owner.pubkey
        XCTAssertThrowsError(try store.load(owner: seaturtle, identities: mechanicIDs)) { error in
            let e = error as! KeyrackError
            XCTAssertEqual(e.kind, .wrongIdentity)
            XCTAssertTrue(e.message.contains("owner seaturtle"), e.message)
            XCTAssertTrue(e.message.contains(HostManifestStore.shorten(pubkey)), e.message)
            // The library names no option: the remedy is typed, and its words name none.
            XCTAssertEqual(e.remedy, .giveIdentity)
            XCTAssertFalse(e.message.contains("--"), e.message)
            XCTAssertTrue(e.message.hasSuffix("no identity tried matches: give the matching private key or identity file"), e.message)
        }
    }

    func testDamagedManifestIsReportedAndNeverOverwritten() throws {
        let (owner, ids) = try initAge("seaturtle")
        let url = store.home.manifest(owner)
        let good = try FileSystem.read(url)!
        for damaged in [Array(good.prefix(good.count / 2)), Array(good.dropLast(60)) + Array(good.suffix(60)).map { $0 ^ 1 }, Array("not age".utf8)] {
            try FileSystem.writeAtomically(damaged, to: url)
            XCTAssertThrowsError(try store.setKey(owner: owner, try KeySetRequest(slug: try Slug(validating: "a.b.C"), vault: .osEnvvar, exid: nil, mech: nil, maxDuration: nil, value: nil), identities: ids)) { error in
                XCTAssertEqual((error as? KeyrackError)?.kind, .damaged, "\(error)")
                XCTAssertTrue("\(error)".contains("left unchanged"), "\(error)")
            }
            XCTAssertEqual(try FileSystem.read(url), damaged)
        }
    }

    func testRecipientsAddRemoveNeverLast() throws {
        let (owner, ids) = try initAge("seaturtle")
        let backup = X25519Identity.generate()
        let backupFile = try dir.write("backup.txt", Array("\(backup.string)\n".utf8))
        _ = try store.addRecipient(owner: owner, label: try RecipientLabel("paper"), publicKey: backup.recipient.string,
                                   identityPath: backupFile.path, identities: ids)
        // Either identity opens it now.
        XCTAssertEqual(try store.load(owner: owner, identities: [backup]).recipients.map(\.label.value), ["paper"])
        XCTAssertEqual(try store.recipientsFile(owner)?.recipients.map(\.identityPath), [store.home.ageIdentity(owner).path, backupFile.path])
        XCTAssertThrowsError(try store.addRecipient(owner: owner, label: try RecipientLabel("paper"), publicKey: X25519Identity.generate().recipient.string, identityPath: nil, identities: ids))
        XCTAssertThrowsError(try store.addRecipient(owner: owner, label: try RecipientLabel("pq"), publicKey: MLKEM768X25519Identity.generate().recipient.string, identityPath: nil, identities: ids)) { error in
            XCTAssertTrue("\(error)".contains("forbids mixing"), "\(error)")
        }
        // Remove the primary: the backup becomes the only way in; removing it too is refused.
        try store.removeRecipient(owner: owner, label: "primary", identities: ids)
        let m = try store.load(owner: owner, identities: [backup])
        XCTAssertEqual(m.owner.pubkey, backup.recipient.string)
        XCTAssertThrowsError(try store.load(owner: owner, identities: ids))
        XCTAssertThrowsError(try store.removeRecipient(owner: owner, label: "primary", identities: [backup])) { error in
            XCTAssertTrue("\(error)".contains("refusing to remove the last recipient"), "\(error)")
        }
    }

    func testPostQuantumOwner() throws {
        let (owner, ids) = try initAge("pq-robot", pq: true)
        let m = try store.load(owner: owner, identities: ids)
        XCTAssertTrue(m.owner.pubkey.hasPrefix("age1pq1"))
        XCTAssertThrowsError(try store.addRecipient(owner: owner, label: try RecipientLabel("classic"), publicKey: X25519Identity.generate().recipient.string, identityPath: nil, identities: ids))
    }

    func testNotInitialisedIsUsageError() throws {
        XCTAssertThrowsError(try store.identities(for: try OwnerName("ghost"))) { error in
            XCTAssertEqual((error as? KeyrackError)?.kind, .usage)
            // The remedy is typed; the CLI words it as `keyrack init --for ghost` (KeyrackErrorTests).
            XCTAssertEqual((error as? KeyrackError)?.remedy, .initialise(owner: "ghost"))
            XCTAssertFalse("\(error)".contains("keyrack "), "the library names no keyrack command: \(error)")
        }
    }

    func testOrgResolution() throws {
        let repo = dir.file("repo")
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".agent"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: repo.appendingPathComponent("src/deep"), withIntermediateDirectories: true)
        try Data("org: ehmpathy\nenv.prod:\n  - X\n".utf8).write(to: repo.appendingPathComponent(".agent/keyrack.yml"))
        let deep = repo.appendingPathComponent("src/deep")
        XCTAssertEqual(try HostManifestStore.resolveOrg(given: nil, env: try EnvName("prod"), directory: deep).value, "ehmpathy")
        XCTAssertEqual(try HostManifestStore.resolveOrg(given: "@all", env: try EnvName("prod"), directory: deep).value, "@all")
        XCTAssertThrowsError(try HostManifestStore.resolveOrg(given: "other", env: try EnvName("prod"), directory: deep))
        let outside = dir.file("elsewhere")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        XCTAssertEqual(try HostManifestStore.resolveOrg(given: nil, env: try EnvName("sudo"), directory: outside).value, "@all")
        XCTAssertThrowsError(try HostManifestStore.resolveOrg(given: nil, env: try EnvName("prod"), directory: outside)) { error in
            XCTAssertEqual((error as? KeyrackError)?.remedy, .give(.org, "ORG (or @all for a machine-wide key)"), "\(error)")
        }
    }

    /// `identity` refuses an owner with no manifest with the same refusal as every command.
    func testInitialisedRecipientsRefusesAnUninitialisedOwnerAsEveryCommandDoes() throws {
        let ghost = try OwnerName("ghost")
        XCTAssertThrowsError(try store.initialisedRecipients(ghost)) { error in
            let e = error as? KeyrackError
            XCTAssertEqual(e?.problem, "owner ghost is not initialised (no \(store.home.manifest(ghost).path))")
            XCTAssertEqual(e?.remedy, .initialise(owner: "ghost"))
            XCTAssertEqual(e?.kind, .usage)
        }
        XCTAssertThrowsError(try store.requireInitialised(ghost)) { error in
            XCTAssertEqual((error as? KeyrackError)?.problem, "owner ghost is not initialised (no \(store.home.manifest(ghost).path))")
        }
        let (owner, _) = try initAge("seaturtle")
        XCTAssertEqual(try store.initialisedRecipients(owner).map(\.pubkey), try store.recipientsFile(owner)?.recipients.map(\.pubkey))
        XCTAssertFalse(try store.initialisedRecipients(owner).isEmpty)
        // A manifest without its recipients file is damaged, not uninitialised.
        XCTAssertEqual(unlink(store.home.recipientsFile(owner).path), 0)
        XCTAssertThrowsError(try store.initialisedRecipients(owner)) { error in
            let e = error as? KeyrackError
            XCTAssertEqual(e?.kind, .damaged)
            XCTAssertEqual(e?.remedy, .restoreRecipients(owner: "seaturtle"))
            XCTAssertEqual(e?.problem, "\(store.home.recipientsFile(owner).path) is missing or lists no recipient")
        }
    }
}
