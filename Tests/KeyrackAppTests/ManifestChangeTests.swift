import Foundation
import KeyrackApp
import KeyrackCore
import KeyrackDaemon
import KeyrackNames
import TestSupport
import XCTest

/// What ManifestEffects was asked, for assertions; a fake daemon that holds os.daemon values.
final class RecordedEffects: ManifestEffects {
    var revoked: [(owner: String, slug: String?)] = []
    var records: [String] = []
    var held: [(slug: String, value: [UInt8])] = []
    var warnings: [String] = []

    func revoke(owner: OwnerName, slug: Slug?, why: String) { revoked.append((owner.value, slug?.description)) }
    func record(owner: OwnerName, event: String, slug: Slug, vault: Vault?, effect: String?) {
        records.append([owner.value, event, slug.description, vault?.rawValue ?? "-", effect ?? "-"].joined(separator: " "))
    }
    func hold(owner: OwnerName, entry: KeyEntry, pinnedUID: UInt32?, sandboxed: Bool, value: inout [UInt8]) throws -> Slug {
        held.append((entry.slug.description, value))
        value = Array(repeating: 0, count: value.count)
        return entry.slug
    }
    func warn(_ line: String) { warnings.append(line) }
}

/// init, set, del and recipient add/remove run in-process on a temp KEYRACK_HOME with age
/// owners (no card): what each stores, what it refuses and in which order it asks for things,
/// and which side effects it asks for.
final class ManifestChangeTests: XCTestCase {
    private var dir: TempDirectory!
    private var store: HostManifestStore!
    private var effects: RecordedEffects!
    private let bot = try! OwnerName("bot")

    override func setUpWithError() throws {
        dir = try TempDirectory("keyrack-manifest")
        store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
        effects = RecordedEffects()
    }

    override func tearDown() { dir.remove() }

    @discardableResult
    private func initAge(_ owner: OwnerName, postQuantum: Bool = false) throws -> OwnerInit.Result {
        try OwnerInit.run(.init(owner: owner, spec: .age(AgeRecipientSpec(postQuantum: postQuantum)), viaGiven: true, directory: dir.url, userHome: dir.file("home")),
                          store: store, interaction: .nonInteractive, note: { XCTFail("no note expected: \($0)") })
    }

    private func identities(_ owner: OwnerName, paths: [String] = []) throws -> ManifestIdentities {
        try store.identities(for: owner, explicitPaths: paths)
    }

    private func set(_ key: String, env: String = "sudo", org: String? = nil, vault: Vault = .osSecure, value: String = "tok", directory: URL? = nil) throws -> KeyChange.SetResult {
        let input = KeyChange.SetInput(owner: bot, org: org, env: try EnvName(env), key: try KeyName(key), vault: vault, directory: directory ?? dir.url)
        return try KeyChange.set(input, store: store, identities: { try self.identities(self.bot) }, value: { _ in Array(value.utf8) }, effects: effects)
    }

    private func ageKeygen(_ name: String) throws -> (identity: URL, recipient: String) {
        let file = dir.file(name)
        XCTAssertEqual(try Run.process("age-keygen", ["-o", file.path]).status, 0)
        return (file, try Run.process("age-keygen", ["-y", file.path]).out.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    // MARK: init

    func testInitCreatesOnceAndARerunChangesNothing() throws {
        let created = try initAge(bot)
        guard case .created(let manifest, let setup) = created.outcome else { return XCTFail("\(created.outcome)") }
        XCTAssertEqual(created.via, .age)
        XCTAssertTrue(manifest.owner.pubkey.hasPrefix("age1"))
        XCTAssertEqual(setup.location.identityPath, store.home.ageIdentity(bot).path)
        XCTAssertTrue(setup.createdIdentity)
        let before = try Data(contentsOf: store.home.manifest(bot))
        guard case .alreadyInitialised(let recipients) = try initAge(bot).outcome else { return XCTFail("a re-run creates nothing") }
        XCTAssertEqual(recipients?.recipients.first?.pubkey, manifest.owner.pubkey)
        XCTAssertEqual(try Data(contentsOf: store.home.manifest(bot)), before)
    }

    /// Bare `init`: the user's ssh key is chosen and named, an ECDSA key skipped by name, a
    /// plugged-in YubiKey pointed at; with no usable key, what to do.
    func testBareInitChoosesTheSSHKeyAndSaysWhich() throws {
        let home = dir.file("home")
        var notes: [InitNote] = []
        func bare(_ owner: String, card: UInt32? = nil) throws -> OwnerInit.Result {
            try OwnerInit.run(.init(owner: try OwnerName(owner), spec: .ssh(publicKey: nil), viaGiven: false, directory: dir.url, userHome: home),
                              store: store, interaction: .nonInteractive, pluggedYubiKey: { card }, note: { notes.append($0) })
        }
        XCTAssertThrowsError(try bare("bot", card: 4242)) { error in
            XCTAssertEqual(error as? InitRequest.Problem,
                           .noUsableSSHKey(directory: "\(home.path)/.ssh", lookedFor: ["id_ed25519.pub", "id_rsa.pub"], pluggedYubiKey: 4242))
        }
        XCTAssertFalse(store.isInitialised(bot))
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".ssh"), withIntermediateDirectories: true)
        for (name, type) in [("id_ecdsa", "ecdsa"), ("id_rsa", "rsa")] {
            XCTAssertEqual(try Run.process("ssh-keygen", ["-q", "-t", type, "-N", "", "-f", home.appendingPathComponent(".ssh/\(name)").path]).status, 0)
        }
        notes = []
        _ = try bare("bot")
        XCTAssertEqual(notes.count, 2, "\(notes)")
        guard case .skippedSSHKey(let skipped, let why) = notes.first else { return XCTFail("\(notes)") }
        XCTAssertEqual(skipped, "\(home.path)/.ssh/id_ecdsa.pub")
        XCTAssertTrue(why.hasPrefix("an ECDSA key"), why)
        XCTAssertEqual(notes[1], .usingSSHKey(path: "\(home.path)/.ssh/id_rsa.pub", viaGiven: false))
        let rsa = home.appendingPathComponent(".ssh/id_rsa").path
        XCTAssertNoThrow(try store.load(owner: bot, identities: try identities(bot, paths: [rsa])), "the manifest opens with the chosen key")

        notes = []
        _ = try bare("card-user", card: 4242)
        XCTAssertTrue(notes.contains(.yubiKeyPlugged(serial: 4242)), "\(notes)")
        notes = []
        _ = try bare("bot")
        XCTAssertEqual(notes, [], "a re-run names no key")
    }

    func testInitWithOrgCreatesTheRepositoryFileFirst() throws {
        let repo = dir.file("repo")
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".git"), withIntermediateDirectories: true)
        let result = try OwnerInit.run(.init(owner: bot, spec: .age(AgeRecipientSpec()), viaGiven: true, org: try OrgName("acme"), directory: repo, userHome: dir.file("home")),
                                       store: store, interaction: .nonInteractive, note: { _ in })
        XCTAssertEqual(result.repoFile, .created(path: repo.appendingPathComponent(".agent/keyrack.yml").path))
        XCTAssertTrue(try String(contentsOf: repo.appendingPathComponent(".agent/keyrack.yml"), encoding: .utf8).contains("org: acme"))
    }

    // MARK: set, del

    func testSetStoresTheValueThenDelRemovesItIdempotently() throws {
        try initAge(bot)
        let first = try set("T")
        XCTAssertEqual(first.outcome, .created)
        XCTAssertEqual(first.entry.slug.description, "@all.sudo.T")
        XCTAssertEqual(try set("T").outcome, .unchanged)
        XCTAssertEqual(try set("T", value: "tok2").outcome, .updated)
        let manifest = try store.load(owner: bot, identities: try identities(bot))
        XCTAssertEqual(manifest.secrets[first.entry.slug], Array("tok2".utf8))
        XCTAssertEqual(effects.revoked.map(\.slug), ["@all.sudo.T", "@all.sudo.T", "@all.sudo.T"], "the daemon forgets the old value each time")
        XCTAssertEqual(effects.records, ["bot set @all.sudo.T os.secure created", "bot set @all.sudo.T os.secure unchanged", "bot set @all.sudo.T os.secure updated"])

        func del() throws -> KeyChange.DeleteResult {
            try KeyChange.delete(owner: bot, org: nil, env: try EnvName("sudo"), key: try KeyName("T"), directory: dir.url, store: store,
                                 identities: { try self.identities(self.bot) }, effects: effects)
        }
        XCTAssertTrue(try del().removed)
        XCTAssertFalse(try del().removed, "deleting an absent key is fine")
        XCTAssertNil(try store.load(owner: bot, identities: try identities(bot)).secrets[first.entry.slug])
        XCTAssertEqual(effects.records.suffix(2), ["bot del @all.sudo.T - -", "bot del @all.sudo.T - -"])
    }

    /// The one "not initialised" refusal, before any identity or value is asked for.
    func testSetAndRecipientAddRefuseAnUninitialisedOwnerBeforeAskingAnything() throws {
        let ghost = try OwnerName("ghost")
        let input = KeyChange.SetInput(owner: ghost, org: nil, env: try EnvName("sudo"), key: try KeyName("T"), vault: .osSecure, directory: dir.url)
        // The problem names the owner and the missing file; the remedy is typed (the CLI words it).
        let expected = "owner ghost is not initialised (no \(store.home.manifest(ghost).path))"
        XCTAssertThrowsError(try KeyChange.set(input, store: store, identities: { XCTFail("identities asked"); throw CancellationError() },
                                               value: { _ in XCTFail("value asked"); return [] }, effects: effects)) { error in
            XCTAssertEqual((error as? KeyrackError)?.problem, expected)
            XCTAssertEqual((error as? KeyrackError)?.remedy, .initialise(owner: "ghost"))
            XCTAssertEqual((error as? KeyrackError)?.kind, .usage)
        }
        XCTAssertThrowsError(try RecipientChange.add(owner: ghost, label: try RecipientLabel("x"), publicKey: "age1x", backupIdentity: nil, userHome: dir.url,
                                                     store: store, identities: { XCTFail("identities asked"); throw CancellationError() })) { error in
            XCTAssertEqual((error as? KeyrackError)?.problem, expected)
            XCTAssertEqual((error as? KeyrackError)?.remedy, .initialise(owner: "ghost"))
        }
        XCTAssertTrue(effects.records.isEmpty && effects.revoked.isEmpty)
    }

    /// Identities first, then the value: an owner with no identity here fails before a secret is typed.
    func testNoIdentityFailsBeforeTheValueIsAsked() throws {
        try initAge(bot)
        try FileManager.default.removeItem(at: store.home.ageIdentity(bot))
        let input = KeyChange.SetInput(owner: bot, org: nil, env: try EnvName("sudo"), key: try KeyName("T"), vault: .osSecure, directory: dir.url)
        XCTAssertThrowsError(try KeyChange.set(input, store: store, identities: { try self.identities(self.bot) },
                                               value: { _ in XCTFail("value asked"); return [] }, effects: effects)) { error in
            XCTAssertEqual((error as? KeyrackError)?.kind, .wrongIdentity, "\(error)")
        }
    }

    func testOrgComesFromTheRepositoryFileWhichListsTheKey() throws {
        try initAge(bot)
        let repo = dir.file("repo")
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".agent"), withIntermediateDirectories: true)
        try Data("org: ehmpathy\n".utf8).write(to: repo.appendingPathComponent(".agent/keyrack.yml"))
        let result = try set("API_KEY", env: "prod", vault: .osEnvvar, directory: repo)
        XCTAssertEqual(result.entry.slug.description, "ehmpathy.prod.API_KEY")
        guard case .added(_, let section) = result.repoFile else { return XCTFail("\(result.repoFile)") }
        XCTAssertEqual(section, "env.prod")
        XCTAssertThrowsError(try set("API_KEY", env: "prod", org: "other", vault: .osEnvvar, directory: repo)) { error in
            XCTAssertTrue((error as? KeyrackError)?.message.contains("org 'other' does not match org 'ehmpathy'") == true, "\(error)")
            XCTAssertEqual((error as? KeyrackError)?.remedy, .drop(.org))
        }
        XCTAssertEqual(try set("ROOT", vault: .osEnvvar).entry.slug.description, "@all.sudo.ROOT", "outside a repository a sudo key is machine-wide")
        XCTAssertThrowsError(try set("K", env: "prod", vault: .osEnvvar)) { error in
            XCTAssertEqual((error as? KeyrackError)?.problem, "no org for this key: no .agent/keyrack.yml was found from here up to the git root")
            XCTAssertEqual((error as? KeyrackError)?.remedy, .give(.org, "ORG (or @all for a machine-wide key)"))
        }
    }

    func testALongLivedTokenIsStoredWithAWarning() throws {
        try initAge(bot)
        let stored = try set("PAT", value: "ghp_" + String(repeating: "a", count: 36))
        XCTAssertEqual(stored.longLivedToken?.prefix, "ghp_", "the result names the family by its prefix, never the value")
        XCTAssertEqual(stored.entry.slug.description, "@all.sudo.PAT")
        XCTAssertNil(try set("SHORT", value: "ghs_" + String(repeating: "a", count: 36)).longLivedToken, "a short-lived token is no warning")
        XCTAssertEqual(effects.warnings, [])
    }

    /// An os.daemon value goes to the daemon, never to the manifest.
    func testAnOsDaemonValueGoesToTheDaemonOnly() throws {
        try initAge(bot)
        let result = try set("SESSION", vault: .osDaemon, value: "held-only")
        XCTAssertEqual(result.heldByDaemon?.description, "@all.sudo.SESSION")
        XCTAssertEqual(effects.held.map(\.slug), ["@all.sudo.SESSION"])
        XCTAssertEqual(effects.held.first?.value, Array("held-only".utf8))
        XCTAssertNil(try store.load(owner: bot, identities: try identities(bot)).secrets[result.entry.slug])
    }

    /// set-default changes only the settings given; clearing drops the section.
    func testOpenBaoDefaultsChangeOnlyWhatIsGivenAndClear() throws {
        try initAge(bot)
        func setDefaults(_ changes: OpenBaoSettings, clear: Bool = false) throws -> OpenBaoSettings {
            try OpenBaoDefaults.set(owner: bot, changes: changes, clear: clear, store: store, identities: { try self.identities(self.bot) })
        }
        var first = OpenBaoSettings()
        first.addr = "https://bao.example.net:8200"
        first.login = .approle
        first.roleIdKey = try Slug(validating: "@all.sudo.ROLE_ID")
        _ = try setDefaults(first)
        var second = OpenBaoSettings()
        second.namespace = "team"
        let merged = try setDefaults(second)
        XCTAssertEqual(merged.addr, "https://bao.example.net:8200", "a setting not given is kept")
        XCTAssertEqual(merged.namespace, "team")
        XCTAssertEqual(merged.login, .approle)
        XCTAssertEqual(try store.load(owner: bot, identities: try identities(bot)).openbao, merged)
        XCTAssertTrue(try setDefaults(OpenBaoSettings(), clear: true).isEmpty)
        XCTAssertNil(try store.load(owner: bot, identities: try identities(bot)).openbao, "an empty section is dropped")
    }

    // MARK: recipients

    func testAddedRecipientsOpenTheManifestAndTheLastIsNeverRemoved() throws {
        try initAge(bot)
        _ = try set("T")
        let paper = try ageKeygen("paper.txt")
        func add(_ label: String, _ key: String, identity: String? = nil) throws -> RecipientChange.Added {
            try RecipientChange.add(owner: bot, label: try RecipientLabel(label), publicKey: key, backupIdentity: identity, userHome: dir.url,
                                    store: store, identities: { try self.identities(self.bot) })
        }
        XCTAssertEqual(try add("paper", paper.recipient).recipient.via, .age)
        // An ssh .pub file: the key is its line, the private key beside it the identity.
        let laptop = dir.file("laptop")
        XCTAssertEqual(try Run.process("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "laptop", "-f", laptop.path]).status, 0)
        let added = try add("laptop", laptop.path + ".pub")
        XCTAssertEqual(added.recipient.via, .ssh)
        XCTAssertEqual(added.identityPath, laptop.path)
        for identity in [store.home.ageIdentity(bot).path, paper.identity.path, laptop.path] {
            let manifest = try store.load(owner: bot, identities: try identities(bot, paths: [identity]))
            XCTAssertEqual(manifest.secrets.values.first, Array("tok".utf8), identity)
            XCTAssertEqual(manifest.allPublicKeys.map(\.label), ["primary", "paper", "laptop"])
        }
        XCTAssertThrowsError(try add("paper", paper.recipient)) { XCTAssertTrue("\($0)".contains("already has a recipient labelled paper"), "\($0)") }

        // Remove the primary: the first backup is promoted, and only the remaining keys open it.
        let paperOnly = { try self.identities(self.bot, paths: [paper.identity.path]) }
        XCTAssertEqual(try RecipientChange.remove(owner: bot, label: "primary", store: store, identities: paperOnly, effects: effects), "paper")
        XCTAssertNil(try RecipientChange.remove(owner: bot, label: "laptop", store: store, identities: paperOnly, effects: effects))
        XCTAssertEqual(effects.revoked.suffix(2).map(\.slug), [nil, nil], "everything the removed recipient unlocked is relocked")
        XCTAssertThrowsError(try store.load(owner: bot, identities: try identities(bot, paths: [laptop.path])))
        let before = try Data(contentsOf: store.home.manifest(bot))
        XCTAssertThrowsError(try RecipientChange.remove(owner: bot, label: "primary", store: store, identities: paperOnly, effects: effects)) {
            XCTAssertTrue("\($0)".contains("refusing to remove the last recipient of owner bot"), "\($0)")
        }
        XCTAssertThrowsError(try RecipientChange.remove(owner: bot, label: "nope", store: store, identities: paperOnly, effects: effects)) {
            XCTAssertTrue("\($0)".contains("no recipient labelled 'nope'"), "\($0)")
        }
        XCTAssertEqual(try Data(contentsOf: store.home.manifest(bot)), before, "a refusal writes nothing")
    }

    /// The kinds of key are RecipientString's: a file holding anything else is refused by its
    /// path, an absent file and a mix of post-quantum and classic keys too.
    func testRecipientAddRefusesWhatIsNoRecipient() throws {
        try initAge(bot)
        func add(_ key: String) -> String {
            do {
                _ = try RecipientChange.add(owner: bot, label: try RecipientLabel("x"), publicKey: key, backupIdentity: nil, userHome: dir.url,
                                            store: store, identities: { try self.identities(self.bot) })
                return "added"
            } catch let error as KeyrackError { return error.message } catch { return "\(error)" }
        }
        let notAKey = try dir.write("notakey.pub", Array("# a comment\nhello world\n".utf8))
        XCTAssertEqual(add(notAKey.path), "unsupported public key type in \(notAKey.path): use age1…, age1yubikey1… or an ssh-ed25519 / ssh-rsa .pub")
        let empty = try dir.write("empty.pub", Array("# nothing\n\n".utf8))
        XCTAssertEqual(add(empty.path), "public key file \(empty.path) holds no key")
        XCTAssertTrue(add(dir.file("absent.pub").path).hasPrefix("cannot read public key file"), add(dir.file("absent.pub").path))
        XCTAssertTrue(add("ecdsa-sha2-nistp256 AAAA").contains("ecdsa-sha2-nistp256 is not supported"), add("ecdsa-sha2-nistp256 AAAA"))
        let big = try dir.write("big.pub", Array(repeating: UInt8(ascii: "a"), count: KeyFile.maxBytes + 1))
        XCTAssertEqual(add(big.path), "public key file \(big.path) is larger than 1 MiB: that is not a key file", "the one key-file cap")

        let pq = try OwnerName("pq-robot")
        try initAge(pq, postQuantum: true)
        let classic = try ageKeygen("classic.txt")
        XCTAssertThrowsError(try RecipientChange.add(owner: pq, label: try RecipientLabel("classic"), publicKey: classic.recipient, backupIdentity: nil,
                                                     userHome: dir.url, store: store, identities: { try self.identities(pq) })) {
            XCTAssertTrue("\($0)".contains("forbids mixing"), "\($0)")
        }
    }
}
