import Foundation
@testable import KeyrackApp
import KeyrackClient
import KeyrackCore
import KeyrackDaemon
import TestSupport
import XCTest
import KeyrackNames

/// The unlock use case in-process: a real store in a temporary KEYRACK_HOME (an age owner, whose
/// identity file is on this machine), a fake terminal, clock and daemon. What reaches the
/// daemon, what is asked and what is refused is asserted on values, not on a CLI's text.
final class UnlockTests: XCTestCase {
    private var dir: TempDirectory!
    private var store: HostManifestStore!
    private var terminal: FakeTerminal!
    private var daemon: FakeDaemon!
    private var events: [UnlockEvent] = []

    override func setUpWithError() throws {
        dir = try TempDirectory("keyrack-unlock")
        store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
        terminal = FakeTerminal()
        daemon = FakeDaemon()
        events = []
    }
    override func tearDown() { dir.remove() }

    private var unlock: Unlock {
        Unlock(store: store, terminal: terminal, daemon: daemon, clock: FakeClock(), events: { [unowned self] in events.append($0) },
               fetchRemote: { entries, _, _, _ in
                   XCTAssertFalse(entries.contains { $0.vault == .openBao }, "no openbao key in these tests")
                   return [:]
               })
    }

    @discardableResult
    private func owner(_ name: String, uid: UInt32? = nil, sandboxed: Bool = false, keys: [(String, String?)] = []) throws -> OwnerName {
        let owner = try OwnerName(name)
        let request = RecipientSetupRequest(owner: owner, home: store.home, userHome: dir.url, spec: .age(AgeRecipientSpec(postQuantum: false)))
        guard case .created = try store.initialise(owner: owner, uid: uid, sandboxed: sandboxed, request: request) else {
            throw KeyrackError(.usage, "initialise did not create owner \(name)")
        }
        let ids = try store.identities(for: owner)
        for (slug, maxDuration) in keys {
            try store.setKey(owner: owner, try KeySetRequest(slug: try Slug(validating: slug), vault: .osSecure, exid: nil, mech: nil,
                                                             maxDuration: try maxDuration.map { try Duration($0) }, value: Array("v-\(slug)".utf8)),
                             identities: ids)
        }
        return owner
    }

    private func request(_ owner: OwnerName, env: String?, key: String? = nil, seconds: Int? = nil, agent: Bool = false,
                         pin: PINInput = .terminal, cwd: URL? = nil, uid: UInt32 = getuid()) -> UnlockRequest {
        UnlockRequest(owner: owner, env: env, key: key, durationSeconds: seconds, pin: pin, identityAgent: agent,
                      workingDirectory: cwd ?? dir.url, uid: uid)
    }

    private func slug(_ text: String) -> Slug { try! Slug(validating: text) }

    /// The catalog reaches the daemon in slug order, as the grants do, so the UNLOCK carries only
    /// the slugs no grant has (protocol 7's UnlockCatalog): here the other env's key alone.
    func testTheCatalogIsInSlugOrderSoOnlyTheSlugsNotGrantedTravel() throws {
        let robo = try owner("robo", keys: [("acme.prod.DB", nil), ("acme.prod.API", nil), ("acme.test.OTHER", nil), ("@all.all.SHARED", nil)])
        _ = try unlock.run(request(robo, env: "prod"))
        let catalog = try XCTUnwrap(daemon.catalog)
        XCTAssertEqual(catalog, catalog.sorted())
        let grants = daemon.granted.map { GrantRequest(slug: $0.slug, vault: $0.vault, ttlMilliseconds: $0.ttlMilliseconds, value: $0.value) }
        XCTAssertEqual(UnlockCatalog(catalog, besides: grants), UnlockCatalog(count: 4, beyondGrants: [slug("acme.test.OTHER")]))
    }

    func testTheEnvsKeysReachTheDaemonWithThePlansDefaultTTLAndNothingIsAsked() throws {
        let robo = try owner("robo", keys: [("acme.prod.DB", nil), ("acme.prod.API", nil), ("acme.test.OTHER", nil), ("@all.all.SHARED", nil)])
        let result = try unlock.run(request(robo, env: "prod"))

        XCTAssertEqual(daemon.starts.map(\.owner), ["robo"])
        XCTAssertEqual(daemon.starts.first?.pinnedUID, nil)
        XCTAssertEqual(Set(daemon.granted.map(\.slug)), [slug("acme.prod.DB"), slug("acme.prod.API"), slug("@all.all.SHARED")],
                       "the env's keys and the all-env key, not another env's")
        XCTAssertEqual(Set(daemon.granted.map(\.ttlMilliseconds)), [UInt64(UnlockPlan.grantSeconds) * 1000], "9h by default")
        XCTAssertEqual(daemon.granted.first { $0.slug == slug("acme.prod.DB") }?.value, Array("v-acme.prod.DB".utf8))
        XCTAssertEqual(daemon.granted.map(\.vault), ["os.secure", "os.secure", "os.secure"])
        XCTAssertEqual(Set(daemon.catalog ?? []).count, 4, "the catalog names every key of the manifest")
        XCTAssertEqual(terminal.asked, [], "an age identity on this machine needs no secret")
        let opener = "primary (age, \(store.home.ageIdentity(robo).path))"
        XCTAssertEqual(result.recipient, opener)
        XCTAssertEqual(result.unlocked.count, 3)
        XCTAssertEqual(events, [.daemonStarted(owner: "robo", pid: 4242)])
        XCTAssertEqual(daemon.log.last, "unlock")
        XCTAssertEqual(daemon.prepared, ["robo"], "the daemon is reached once, ahead of the manifest")
        XCTAssertEqual(daemon.auditRecipient, opener, "the log's checkpoint key goes with the recipient that opened the manifest")
    }

    func testSudoIsThirtyMinutesAndADurationIsCappedByTheKeysMaxDuration() throws {
        let robo = try owner("robo", keys: [("@all.sudo.ROOT", nil), ("acme.sudo.LONGER", "2h"), ("acme.prep.SHORT", "1h"), ("acme.prep.LONG", nil)])
        _ = try unlock.run(request(robo, env: "sudo", key: "ROOT"))
        XCTAssertEqual(daemon.granted.map(\.ttlMilliseconds), [UInt64(UnlockPlan.sudoCapSeconds) * 1000], "30m by default")
        _ = try unlock.run(request(robo, env: "sudo", key: "ROOT", seconds: 720 * 3600))
        XCTAssertEqual(daemon.granted.last?.ttlMilliseconds, 30 * 60 * 1000, "a sudo grant is capped at 30m")
        XCTAssertTrue(events.contains { if case .capped(slug("@all.sudo.ROOT"), .sudo) = $0 { return true } else { return false } }, "\(events)")
        _ = try unlock.run(request(robo, env: "sudo", key: "LONGER", seconds: 720 * 3600))
        XCTAssertEqual(daemon.granted.last?.ttlMilliseconds, 2 * 3600 * 1000, "unless the key's own maxDuration says more")

        _ = try unlock.run(request(robo, env: "prep", seconds: 2 * 3600))
        let ttl = Dictionary(daemon.granted.map { ($0.slug, $0.ttlMilliseconds) }, uniquingKeysWith: { $1 })
        XCTAssertEqual(ttl[slug("acme.prep.SHORT")], 3_600_000, "capped by its maxDuration")
        XCTAssertEqual(ttl[slug("acme.prep.LONG")], 7_200_000)
        XCTAssertTrue(events.contains(.capped(slug("acme.prep.SHORT"), to: .maxDuration("1h"))), "\(events)")
    }

    func testValuesAreZeroedInTheirOwnStorageWhenTheDaemonFailsMidUnlock() throws {
        let robo = try owner("robo", keys: [("acme.prod.DB", nil), ("acme.prod.API", nil)])
        daemon.unlockError = KeyrackError(.usage, "the daemon went away")
        XCTAssertThrowsError(try unlock.run(request(robo, env: "prod")))
        XCTAssertEqual(daemon.handed.map(\.count).sorted(), ["v-acme.prod.DB".utf8.count, "v-acme.prod.API".utf8.count],
                       "the values were handed over, and a wipe keeps their length")
        // The daemon's arrays share storage with the request, the plan and the opened manifest:
        // a wipe that copied a shared buffer before zeroing it left the values in the heap.
        for value in daemon.handed {
            XCTAssertTrue(value.allSatisfy { $0 == 0 }, "a value of \(value.count) bytes the unlock held was left in memory")
        }
    }

    /// `keyrack unlock` keeps the unlock's working set until it exits instead of freeing it piece
    /// by piece, but only once every value in it is wiped in place; a caller that lives on (the
    /// default) keeps nothing, on success or failure.
    func testTheWorkingSetIsKeptUntilExitOnlyWhenAskedAndOnlyWiped() throws {
        let robo = try owner("robo", keys: [("acme.prod.DB", nil), ("acme.prod.API", nil)])
        let before = KeptUntilExit.count
        _ = try unlock.run(request(robo, env: "prod"))
        daemon.unlockError = KeyrackError(.usage, "the daemon went away")
        XCTAssertThrowsError(try unlock.run(request(robo, env: "prod")))
        XCTAssertEqual(KeptUntilExit.count, before, "freed as run returns: nothing is held for a caller that lives on")

        daemon = FakeDaemon()
        var exiting = unlock
        exiting.leftovers = .keptUntilExit
        let result = try exiting.run(request(robo, env: "prod"))
        XCTAssertEqual(result.unlocked.map(\.slug), [slug("acme.prod.API"), slug("acme.prod.DB")])
        XCTAssertEqual(daemon.granted.map { String(decoding: $0.value, as: UTF8.self) }, ["v-acme.prod.API", "v-acme.prod.DB"])
        XCTAssertEqual(KeptUntilExit.count, before + 2, "the manifest, entries and plan, and the requests")
        XCTAssertEqual(daemon.handed.map(\.count), ["v-acme.prod.API".utf8.count, "v-acme.prod.DB".utf8.count])
        for value in daemon.handed { XCTAssertTrue(value.allSatisfy { $0 == 0 }, "a value of \(value.count) bytes was kept unwiped") }
    }

    /// The manifest's keys the unlock did not hand on (another env) are zeroed too before the
    /// opened manifest is given up, kept until exit or freed.
    func testTheManifestsOtherKeysAreWipedBeforeItIsKept() throws {
        let robo = try owner("robo", keys: [("acme.prod.DB", nil), ("acme.test.OTHER", nil)])
        var exiting = unlock
        exiting.leftovers = .keptUntilExit
        _ = try exiting.run(request(robo, env: "prod"))
        guard let (opened, _, _) = KeptUntilExit.kept.last(where: { $0 is (OpenedManifest, [KeyEntry], UnlockPlan) }) as? (OpenedManifest, [KeyEntry], UnlockPlan) else {
            return XCTFail("the opened manifest was not kept")
        }
        let other = try XCTUnwrap(opened.manifest.secrets[slug("acme.test.OTHER")])
        XCTAssertEqual(other.count, "v-acme.test.OTHER".utf8.count)
        XCTAssertTrue(other.allSatisfy { $0 == 0 }, "a key of another env was kept unwiped")
        XCTAssertTrue(opened.manifest.secrets.values.allSatisfy { $0.allSatisfy { $0 == 0 } })
    }

    func testAnOwnerPinnedToAnotherUIDIsRefusedBeforeItsManifestIsOpened() throws {
        let robo = try owner("robo", uid: 4321, keys: [("acme.prod.DB", nil)])
        XCTAssertThrowsError(try unlock.run(request(robo, env: "prod", uid: 1234))) { error in
            guard case DaemonError.denied(let who, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(who, "robo")
            XCTAssertEqual(reason, "owner 'robo' is pinned to uid 4321, and this is uid 1234; run the unlock as that user")
        }
        XCTAssertTrue(daemon.log.isEmpty, "no daemon started, nothing sent")
        XCTAssertEqual(terminal.asked, [])

        // Its own uid unlocks, and the daemon is started pinned to it.
        _ = try unlock.run(request(robo, env: "prod", uid: 4321))
        XCTAssertEqual(daemon.starts.first?.pinnedUID, 4321)
    }

    /// The plaintext sidecar is only a first check: a pin dropped from it is still read from the
    /// decrypted manifest, before any daemon starts.
    func testTheUIDPinIsTakenFromTheDecryptedManifestNotOnlyTheSidecar() throws {
        let robo = try owner("robo", uid: 4321, keys: [("acme.prod.DB", nil)])
        let sidecar = store.home.recipientsFile(robo)
        let text = try String(contentsOf: sidecar, encoding: .utf8)
        XCTAssertTrue(text.contains("uid: 4321\n"), text)
        try text.replacingOccurrences(of: "uid: 4321\n", with: "").write(to: sidecar, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try unlock.run(request(robo, env: "prod", uid: 1234))) { error in
            guard case DaemonError.denied(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(reason, "owner 'robo' is pinned to uid 4321 by its manifest, and this is uid 1234; run the unlock as that user")
        }
        XCTAssertTrue(daemon.log.isEmpty, "no daemon may start for a user the owner is not pinned to")
    }

    func testNoKeyInTheEnvIsNotGrantedAndStartsNothing() throws {
        let robo = try owner("robo", keys: [("acme.prod.DB", nil)])
        XCTAssertThrowsError(try unlock.run(request(robo, env: "prep"))) { error in
            XCTAssertEqual(error as? NothingToUnlock, NothingToUnlock("'robo' has no key in env prep", remedy: .setIt(owner: "robo", env: "prep", key: "KEY")))
            assertNamesNoCommandOrFlag("\(error)")
        }
        XCTAssertThrowsError(try unlock.run(request(robo, env: "prod", key: "NOPE"))) { error in
            XCTAssertEqual(error as? NothingToUnlock, NothingToUnlock("'robo' has no key NOPE in env prod", remedy: .setIt(owner: "robo", env: "prod", key: "NOPE")))
        }
        XCTAssertTrue(daemon.log.isEmpty)
    }

    func testInsideARepositoryOnlyTheListedKeysAreUnlockedAndAKeyNamedOnPurposeIsNot() throws {
        let robo = try owner("robo", keys: [("acme.test.LISTED", nil), ("acme.test.UNLISTED", nil)])
        let repo = dir.file("repo")
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".agent"), withIntermediateDirectories: true)
        try Data("org: acme\nenv.test:\n  - LISTED\n".utf8).write(to: repo.appendingPathComponent(".agent/keyrack.yml"))

        _ = try unlock.run(request(robo, env: "test", cwd: repo))
        XCTAssertEqual(daemon.granted.map(\.slug), [slug("acme.test.LISTED")])
        _ = try unlock.run(request(robo, env: "test", key: "UNLISTED", cwd: repo))
        XCTAssertEqual(daemon.granted.last?.slug, slug("acme.test.UNLISTED"), "--key is not filtered")

        try Data("org: acme\nenv.test:\n  - ELSEWHERE\n".utf8).write(to: repo.appendingPathComponent(".agent/keyrack.yml"))
        XCTAssertThrowsError(try unlock.run(request(robo, env: "test", cwd: repo))) { error in
            let refusal = error as? NothingToUnlock
            XCTAssertTrue(refusal?.problem.hasSuffix("lists no key of env test among the 2 'robo' has") == true, "\(error)")
            XCTAssertEqual(refusal?.remedy, .listInRepositoryOrNameOne(env: "test"), "the CLI words it `or unlock one with --key KEY`")
        }
    }

    /// `--using ssh`: the backup ssh key opens the manifest, its passphrase asked as a passphrase
    /// (never answered by a PIN file), the backup named; no ssh recipient is a wrong-identity error.
    func testUsingSSHOpensWithTheBackupKeyAskingItsPassphraseAndNoneIsRefusedByName() throws {
        let robo = try owner("robo", keys: [("acme.test.A", nil)])
        XCTAssertThrowsError(try unlock.run(UnlockRequest(owner: robo, env: "test", using: .ssh, workingDirectory: dir.url))) { error in
            XCTAssertEqual((error as? KeyrackError)?.kind, .wrongIdentity)
            XCTAssertTrue(((error as? KeyrackError)?.message ?? "").hasPrefix("no ssh identity of owner robo is on this machine"), "\(error)")
        }
        let key = dir.file("backup_ssh")
        let made = try Run.process("ssh-keygen", ["-q", "-t", "ed25519", "-N", "correct horse", "-C", "backup", "-f", key.path])
        XCTAssertEqual(made.status, 0, "\(made)")
        let pub = try String(contentsOf: URL(fileURLWithPath: key.path + ".pub"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try store.addRecipient(owner: robo, label: try RecipientLabel("laptop-ssh"), publicKey: pub, identityPath: key.path,
                                   identities: try store.identities(for: robo))
        let passphrase = SecretRequest.passphrase(prompt: "passphrase for ssh key \(key.path): ")
        terminal.answers[passphrase] = Array("correct horse".utf8)
        let pinFile = dir.file("pin")
        try Data("123456\n".utf8).write(to: pinFile)
        XCTAssertEqual(chmod(pinFile.path, 0o600), 0)

        let result = try unlock.run(UnlockRequest(owner: robo, env: "test", using: .ssh, pin: .file(pinFile.path), workingDirectory: dir.url))
        XCTAssertEqual(terminal.asked, [passphrase])
        XCTAssertEqual(result.recipient, "laptop-ssh (ssh, \(key.path))")
        XCTAssertTrue(events.contains(.openedWithBackup(owner: "robo", recipient: "laptop-ssh (ssh, \(key.path))")), "\(events)")
        XCTAssertEqual(daemon.granted.map(\.value), [Array("v-acme.test.A".utf8)])

        terminal.answers[passphrase] = Array("wrong".utf8)
        XCTAssertThrowsError(try unlock.run(UnlockRequest(owner: robo, env: "test", using: .ssh, workingDirectory: dir.url)))
        XCTAssertEqual(daemon.granted.count, 1, "a wrong passphrase opens nothing")
    }

    func testASandboxedOwnersDaemonIsToldBeforeItHoldsAnyValue() throws {
        let robo = try owner("robo", sandboxed: true, keys: [("acme.prod.DB", nil)])
        _ = try unlock.run(request(robo, env: "prod"))
        XCTAssertEqual(daemon.log, ["start", "requireSandbox", "auditKey", "unlock"])
    }

    func testAnIdentityAgentBesideSudoKeysIsCappedToThirtyMinutes() throws {
        let robo = try owner("robo", keys: [("@all.sudo.ROOT", nil), ("acme.test.A", nil)])
        let result = try unlock.run(request(robo, env: "test", seconds: 2 * 3600, agent: true))
        XCTAssertEqual(daemon.agentTTL, 30 * 60 * 1000)
        XCTAssertTrue(events.contains(.agentCapped(owner: "robo", minutes: 30)), "\(events)")
        XCTAssertEqual(daemon.granted.map(\.ttlMilliseconds), [7_200_000], "the keys keep their --duration")
        XCTAssertEqual(result.agent?.labels.count, 1)

        // Without --duration the agent has its own hour, whatever the keys' default (9h); still
        // capped beside sudo keys, and not without them.
        _ = try unlock.run(request(robo, env: "test", agent: true))
        XCTAssertEqual(daemon.agentTTL, 30 * 60 * 1000)
        let calm = try owner("calm", keys: [("acme.test.A", nil)])
        _ = try unlock.run(request(calm, env: "test", agent: true))
        XCTAssertEqual(daemon.agentTTL, UInt64(IdentityAgentStart.defaultTTLSeconds) * 1000)
        XCTAssertEqual(daemon.granted.last?.ttlMilliseconds, UInt64(UnlockPlan.grantSeconds) * 1000)
        XCTAssertFalse(events.contains(.agentCapped(owner: "calm", minutes: 30)))
    }

    func testAPINFileIsReadBeforeAnythingAndARefusedOneEndsTheUnlock() throws {
        let robo = try owner("robo", keys: [("acme.prod.DB", nil)])
        let pin = dir.file("pin")
        try Data("123456\n".utf8).write(to: pin)
        XCTAssertEqual(chmod(pin.path, 0o644), 0)
        XCTAssertThrowsError(try unlock.run(request(robo, env: "prod", pin: .file(pin.path)))) { error in
            XCTAssertTrue("\((error as? UsageError)?.message ?? "\(error)")".contains("has mode 644, readable by others: run `chmod 600 \(pin.path)`"), "\(error)")
        }
        XCTAssertTrue(daemon.log.isEmpty)
        XCTAssertEqual(chmod(pin.path, 0o600), 0)
        _ = try unlock.run(request(robo, env: "prod", pin: .file(pin.path)))
        XCTAssertEqual(daemon.granted.count, 1, "a PIN no card asked for changes nothing")
        XCTAssertEqual(terminal.asked, [])
    }
}
