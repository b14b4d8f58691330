import Foundation
@testable import KeyrackApp
import KeyrackCore
import KeyrackDaemon
import TestSupport
import XCTest

/// `unlock --identity-agent` in-process: which identities reach the daemon, in which form, for
/// how long, and what is asked; the daemon and the terminal are fakes.
final class IdentityAgentStartTests: XCTestCase {
    private var dir: TempDirectory!
    private var store: HostManifestStore!
    private var terminal: FakeTerminal!
    private var daemon: FakeDaemon!

    override func setUpWithError() throws {
        dir = try TempDirectory("keyrack-agent")
        store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
        terminal = FakeTerminal()
        daemon = FakeDaemon()
    }
    override func tearDown() { dir.remove() }

    private func ageOwner(_ name: String) throws -> OwnerName {
        let owner = try OwnerName(name)
        _ = try store.initialise(owner: owner, uid: nil,
                                 request: RecipientSetupRequest(owner: owner, home: store.home, userHome: dir.url, spec: .age(AgeRecipientSpec(postQuantum: false))))
        return owner
    }

    private func agent(_ owner: OwnerName, paths: [String] = [], using: Via? = nil, ttl: Int = IdentityAgentStart.defaultTTLSeconds) -> IdentityAgentStart {
        IdentityAgentStart(owner: owner, store: store, pinned: nil, identityPaths: paths, using: using, ttlSeconds: ttl, terminal: terminal, daemon: daemon)
    }

    func testAnAgeOwnersX25519KeyGoesAsItsScalarForTheDefaultHour() throws {
        let robo = try ageOwner("robo")
        var started: [Int32] = []
        var start = agent(robo)
        start.started = { started.append($0) }
        let result = try start.run()
        XCTAssertEqual(daemon.agentKeys.map(\.kind), ["x25519"], "no text form of the key enters the daemon")
        XCTAssertEqual(daemon.agentKeys.first?.secret.count, 32)
        XCTAssertEqual(daemon.agentKeys.first?.label, "primary (age, \(store.home.ageIdentity(robo).path))")
        XCTAssertEqual(daemon.agentTTL, 3_600_000)
        XCTAssertEqual(result.labels, daemon.agentKeys.map(\.label))
        XCTAssertEqual(started, [4242])
        XCTAssertEqual(terminal.asked, [])
    }

    func testAnEncryptedSSHKeyGivenWithIdentityAsksItsPassphraseNowTypedAsAPassphrase() throws {
        let robo = try ageOwner("robo")
        let key = dir.file("id_ed25519")
        let r = try Run.process("ssh-keygen", ["-q", "-t", "ed25519", "-N", "correct horse", "-C", "robo", "-f", key.path])
        XCTAssertEqual(r.status, 0, "\(r)")
        let request = SecretRequest.passphrase(prompt: "passphrase for ssh key \(key.path): ")
        terminal.answers[request] = Array("correct horse".utf8)
        _ = try agent(robo, paths: [key.path]).run()
        XCTAssertEqual(terminal.asked, [request])
        let sent = try XCTUnwrap(daemon.agentKeys.first)
        XCTAssertEqual(sent.kind, "ssh")
        XCTAssertEqual(sent.label, "from \(key.path) (ssh)")
        XCTAssertEqual(Array(sent.secret.suffix(14)), [0] + Array("correct horse".utf8), "the key file, NUL, the passphrase")

        terminal.answers[request] = Array("wrong".utf8)
        XCTAssertThrowsError(try agent(robo, paths: [key.path]).run()) { error in
            XCTAssertTrue("\(error)".contains("cannot use ssh key \(key.path)"), "\(error)")
        }
    }

    func testAnAgentLongerThanAnOwnersLongestGrantIsRefusedBeforeAnythingStarts() throws {
        let robo = try ageOwner("robo")
        XCTAssertThrowsError(try agent(robo, ttl: 30 * 24 * 3600).run()) { error in
            XCTAssertEqual((error as? KeyrackError)?.kind, .usage)
            XCTAssertEqual((error as? KeyrackError)?.message, "an identity agent of 43200m is longer than it may live (9h, an owner's longest grant)")
        }
        XCTAssertTrue(daemon.log.isEmpty, "no daemon started")
        _ = try agent(robo, ttl: 9 * 3600).run()
        XCTAssertEqual(daemon.agentTTL, 9 * 3600 * 1000, "9h is allowed")
    }

    func testNoIdentityOfTheKindAskedIsAWrongIdentityErrorAndNothingStarts() throws {
        let robo = try ageOwner("robo")
        XCTAssertThrowsError(try agent(robo, using: .ssh).run()) { error in
            XCTAssertEqual((error as? KeyrackError)?.kind, .wrongIdentity)
            // The problem, and a typed remedy the CLI words (`pass --identity PATH, or … keyrack recipient add`).
            XCTAssertEqual((error as? KeyrackError)?.problem, "no ssh identity of owner robo is on this machine")
            XCTAssertEqual((error as? KeyrackError)?.remedy, .giveIdentityOrAddRecipient(environment: false))
        }
        XCTAssertTrue(daemon.log.isEmpty)
    }
}
