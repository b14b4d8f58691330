import Foundation
@testable import KeyrackApp
import KeyrackCore
import TestSupport
import XCTest
import KeyrackNames

/// `unlock` of a YubiKey owner in-process against the simulated card (real pcscd, card operations
/// counted by the simulator's own state file): one ECDH whatever the number of keys; the backup
/// opens when the card is away or when `using` names it, the card is preferred while it is here;
/// the card's stub identity file opens on the card. A fake
/// terminal answers the ssh passphrase; a fake daemon receives the grants.
final class YubiKeyOwnerUnlockTests: XCTestCase {
    private var card: SimulatedCard!
    private var bench: UnlockBench!

    override func setUpWithError() throws {
        try XCTSkipIf(SimulatedCard.cardTestsDisabled, "KEYRACK_NO_CARD_TESTS=1")
        card = try SimulatedCard.insert()
        bench = try UnlockBench("keyrack-yk-backup")
    }

    override func tearDown() {
        card?.remove()
        bench?.remove()
    }

    /// `init --for OWNER --via yubikey --serial S --touch-policy never --pin-stdin` (PIN 123456).
    private func initOwner(_ name: String) throws -> OwnerName {
        try bench.owner(name, .yubikey(YubiKeyRecipientSpec(serial: card.serial, touchPolicy: .never)), pin: "123456")
    }

    private func set(_ owner: OwnerName, _ slug: String, _ value: String) throws { try bench.set(owner, slug, value: value) }

    private func addBackup(_ owner: OwnerName, label: String, publicKey: String, identity: String?) throws {
        _ = try bench.store.addRecipient(owner: owner, label: try RecipientLabel(label), publicKey: publicKey, identityPath: identity,
                                         identities: try bench.identities(owner))
    }

    @discardableResult
    private func unlock(_ owner: OwnerName, env: String, using: Via? = nil) throws -> UnlockResult { try bench.unlock(owner, env: env, using: using) }

    private var terminal: FakeTerminal { bench.terminal }
    private var daemon: FakeDaemon { bench.daemon }
    private var events: [UnlockEvent] { bench.events }

    private func values(_ slugs: [String]) -> [String: String] {
        Dictionary(slugs.compactMap { slug in bench.granted(slug).map { (slug, $0) } }, uniquingKeysWith: { $1 })
    }

    func testRobotUnlockCostsOneECDHWhateverTheNumberOfKeys() throws {
        let owner = try initOwner("ci-robot")
        let recipients = try String(contentsOf: bench.store.home.recipientsFile(owner), encoding: .utf8)
        XCTAssertTrue(recipients.contains("serial: \(card.serial)"), recipients)
        var values: [String: String] = [:]
        for count in [1, 3, 12] {
            while values.count < count {
                let slug = "acme.prod.KEY_\(values.count)"
                values[slug] = freshToken()
                try set(owner, slug, values[slug]!)
            }
            let (ecdh, touches) = (try card.ecdhCount(), try card.touchCount())
            XCTAssertGreaterThan(ecdh, 0, "every set opened the manifest on the card: the counter moves")
            bench.daemon = FakeDaemon()
            let r = try unlock(owner, env: "prod")
            XCTAssertEqual(try card.ecdhCount() - ecdh, 1, "one card ECDH for an unlock of \(count) key(s)")
            XCTAssertEqual(try card.touchCount(), touches, "a robot's key never asks for a touch")
            XCTAssertEqual(r.unlocked.count, count)
            XCTAssertTrue(r.recipient?.hasPrefix("primary (yubikey") == true, "\(r.recipient ?? "")")
            XCTAssertEqual(self.values(Array(values.keys)), values)
        }
    }

    func testSSHBackupOpensWhenCardIsAwayOrWithUsingSSH() throws {
        let owner = try initOwner("deploy-bot")
        let values = ["acme.test.TOKEN_A": freshToken(), "acme.test.TOKEN_B": freshToken()]
        for (slug, value) in values { try set(owner, slug, value) }
        let key = bench.dir.file("backup_deploy")
        let passphrase = "pp-" + freshToken()
        let made = try Run.process("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", "backup", "-f", key.path])
        XCTAssertEqual(made.status, 0, made.description)
        let pub = try String(contentsOf: URL(fileURLWithPath: key.path + ".pub"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        try addBackup(owner, label: "laptop-ssh", publicKey: pub, identity: key.path)
        let used = "laptop-ssh (ssh, \(key.path))"
        let asked = SecretRequest.passphrase(prompt: "passphrase for ssh key \(key.path): ")
        terminal.answers[asked] = Array(passphrase.utf8)

        // using ssh while the card IS present: the passphrase is asked, the card is not used.
        let ecdh = try card.ecdhCount()
        XCTAssertGreaterThan(ecdh, 0)
        XCTAssertEqual(try unlock(owner, env: "test", using: .ssh).recipient, used)
        XCTAssertEqual(terminal.asked.last, asked)
        XCTAssertEqual(try card.ecdhCount(), ecdh, "using ssh: no card operation")
        XCTAssertEqual(self.values(Array(values.keys)), values)

        // The card pulled out: unlock falls back to the ssh key on its own and says so.
        card.remove()
        bench.daemon = FakeDaemon()
        bench.events = []
        let away = try unlock(owner, env: "test")
        XCTAssertEqual(away.recipient, used)
        XCTAssertEqual(away.unlocked.count, 2)
        XCTAssertTrue(events.contains(.openedWithBackup(owner: "deploy-bot", recipient: used)), "\(events)")
        XCTAssertEqual(self.values(Array(values.keys)), values)

        // A wrong passphrase opens nothing.
        bench.daemon = FakeDaemon()
        terminal.answers[asked] = Array((passphrase + "x").utf8)
        XCTAssertThrowsError(try unlock(owner, env: "test"))
        XCTAssertTrue(daemon.granted.isEmpty)
        XCTAssertTrue(daemon.log.isEmpty, "no daemon started")
    }

    func testUsingAgeBackupIdentityNeedsNoCard() throws {
        let owner = try initOwner("build-bot")
        let value = freshToken()
        try set(owner, "acme.prep.TOKEN", value)
        // A backup identity made by the real age-keygen.
        let identity = bench.dir.file("paper-backup.txt").path
        let made = try Run.process("age-keygen", ["-o", identity])
        XCTAssertEqual(made.status, 0, made.description)
        let pub = try XCTUnwrap(made.err.components(separatedBy: "Public key: ").last?.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertTrue(pub.hasPrefix("age1"), made.err)
        try addBackup(owner, label: "paper", publicKey: pub, identity: identity)

        let ecdh = try card.ecdhCount()
        let r = try unlock(owner, env: "prep", using: .age)
        XCTAssertEqual(r.recipient, "paper (age, \(identity))")
        XCTAssertTrue(events.contains(.openedWithBackup(owner: "build-bot", recipient: "paper (age, \(identity))")), "\(events)")
        XCTAssertEqual(try card.ecdhCount(), ecdh, "using age: no card operation")
        XCTAssertEqual(values(["acme.prep.TOKEN"]), ["acme.prep.TOKEN": value])

        // Without using, the card (primary) is preferred while it is here.
        let primary = try unlock(owner, env: "prep")
        XCTAssertTrue(primary.recipient?.hasPrefix("primary (yubikey") == true, "\(primary.recipient ?? "")")
        XCTAssertEqual(try card.ecdhCount() - ecdh, 1)

        // set opens the manifest by the same rule: the card while it is here, the backup once it is away.
        try set(owner, "acme.prep.SECOND", freshToken())
        XCTAssertEqual(try card.ecdhCount() - ecdh, 2, "set tries the primary card first, as unlock does")
        card.remove()
        try set(owner, "acme.prep.THIRD", freshToken())
        let listed = try bench.store.load(owner: owner, identities: try bench.store.identities(for: owner, only: .age)).keys.values.map { "\($0.slug)" }
        XCTAssertTrue(listed.contains("acme.prep.SECOND") && listed.contains("acme.prep.THIRD"), "\(listed)")
    }

    /// The error for an owner whose recipients file lost its serial and slot tells the user to
    /// pass --identity with the AGE-PLUGIN-YUBIKEY-1… file: that file must then work, on the card.
    func testIdentityFileOfYubiKeyStubsOpensTheManifestOnTheCard() throws {
        let owner = try initOwner("stub-robot")
        let value = freshToken()
        try set(owner, "acme.prod.API", value)
        let slots = try XCTUnwrap(try CardListing.plugged().first { $0.serial == card.serial }?.slots)
        let stub = try XCTUnwrap(slots.compactMap(\.identity).first, "\(slots)")
        XCTAssertTrue(stub.hasPrefix("AGE-PLUGIN-YUBIKEY-1"), stub)
        let file = try bench.dir.write("yubikey-identity.txt", Array("# the card's identity, as age-plugin-yubikey prints it\n\(stub)\n".utf8))

        let ecdh = try card.ecdhCount()
        XCTAssertEqual(try bench.unlock(owner, env: "prod", identities: [file.path]).recipient, "from \(file.path)")
        XCTAssertEqual(try card.ecdhCount() - ecdh, 1, "the stub file opens the manifest with one ECDH on the card")
        XCTAssertEqual(bench.granted("acme.prod.API"), value)

        // A damaged stub is a usage error naming the file, not a crash or a card error.
        let broken = try bench.dir.write("broken-identity.txt", Array((String(stub.dropLast(3)) + "QQQ\n").utf8))
        XCTAssertThrowsError(try bench.store.load(owner: owner, identities: try bench.store.identities(for: owner, explicitPaths: [broken.path]))) { error in
            XCTAssertEqual((error as? KeyrackError)?.kind, .usage, "exit 2: \(error)")
            XCTAssertTrue("\(error)".contains(broken.path) && "\(error)".contains("not a usable identity file"), "\(error)")
        }
    }
}
