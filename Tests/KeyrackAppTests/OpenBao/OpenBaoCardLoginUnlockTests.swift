import Foundation
@testable import KeyrackApp
import KeyrackClient
import KeyrackCore
import KeyrackOpenBao
import PIV
import TestSupport
import XCTest
import KeyrackNames

/// The OpenBao `cert` login in-process: a robot's simulated YubiKey (real pcscd) holds a P-256
/// key and certificate in slot 9a (LoginKeySetup, as `yubikey setup --slot 9a` makes it), the
/// operator trusts it with the real `bao write auth/cert/certs/NAME`, and `unlock` logs in over
/// mutual TLS whose one signature the card makes. Card operations are counted by the simulator;
/// the server's audit log gives the login token's accessor. A fake daemon receives the grants.
final class OpenBaoCardLoginUnlockTests: XCTestCase {
    private var server: OpenBaoDevServer!
    private var cards: [SimulatedCard] = []
    private var bench: UnlockBench!
    /// Each robot's slot-9a public key (PEM), as `yubikey setup --slot 9a` prints it.
    private var publicKeys: [String: String] = [:]

    override func setUpWithError() throws {
        try XCTSkipIf(SimulatedCard.cardTestsDisabled, "KEYRACK_NO_CARD_TESTS=1")
        server = try OpenBaoDevServer()
        try server.ok(["auth", "enable", "cert"])
        bench = try UnlockBench("keyrack-bao-card")
    }

    override func tearDown() {
        for card in cards { card.remove() }
        server?.stop()
        bench?.remove()
    }

    /// A robot whose manifest is wrapped to a retired slot of its card and whose OpenBao login is
    /// the card's slot 9a, trusted by the server under `name` with a policy for `readable`.
    private func robot(_ name: String, readable: String, loginPIN: PINPolicy = .never, trusted: Bool = true) throws -> (OwnerName, SimulatedCard) {
        let card = try SimulatedCard.insert()
        cards.append(card)
        let made = try LoginKeySetup.run(serial: card.serial, pinPolicy: loginPIN, touchPolicy: .never, pin: Array("123456".utf8), name: nil)
        XCTAssertEqual(made.slot, .authentication)
        XCTAssertTrue(made.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----\n"))
        let pem = try bench.dir.write("\(name).pem", Array(made.certificatePEM.utf8))
        publicKeys[name] = made.publicKeyPEM
        if trusted {
            try server.policy(name, #"path "secret/data/\#(readable)/*" { capabilities = ["read"] }"#)
            // The operator's one command to trust the card (docs/openbao.md).
            try server.ok(["write", "auth/cert/certs/\(name)", "certificate=@\(pem.path)", "token_policies=\(name)"])
        }
        let owner = try bench.owner(name, .yubikey(YubiKeyRecipientSpec(serial: card.serial, pinPolicy: .never, touchPolicy: .never)), pin: "123456")
        try bench.openBao(owner) { $0.addr = server.address; $0.cacert = server.caFile; $0.login = .cert }
        return (owner, card)
    }

    private func signatures(_ card: SimulatedCard) throws -> Int { try card.stateValue("signCount") as? Int ?? 0 }

    private func openbaoKey(_ owner: OwnerName, _ key: String, _ exid: String) throws {
        try bench.set(owner, "fleet.prod.\(key)", .openBao, exid: exid)
    }

    @discardableResult
    private func unlock(_ owner: OwnerName, pin: PINInput = .terminal) throws -> UnlockResult {
        try bench.unlock(owner, env: "prod", pin: pin, environment: ["HOME": bench.dir.path])
    }

    private func granted(_ key: String) -> String? { bench.granted("fleet.prod.\(key)") }
    private var daemon: FakeDaemon { bench.daemon }
    private var terminal: FakeTerminal { bench.terminal }

    func testRobotUnlocksTwoFleetSecretsWithOneCardSignatureAndTheTokenIsRevoked() throws {
        let (robot1, card) = try robot("robot1", readable: "fleet/robot1")
        let db = freshToken(), api = freshToken()
        try server.ok(["kv", "put", "secret/fleet/robot1/db", "password=\(db)"])
        try server.ok(["kv", "put", "secret/fleet/robot1/api", "token=\(api)"])
        try openbaoKey(robot1, "DB_PASSWORD", "secret/fleet/robot1/db#password")
        try openbaoKey(robot1, "API_TOKEN", "secret/fleet/robot1/api#token")

        let (signs, ecdh) = (try signatures(card), try card.ecdhCount())
        XCTAssertEqual(try unlock(robot1).unlocked.count, 2)
        XCTAssertEqual(try signatures(card) - signs, 1, "one card signature: the TLS login, whatever the number of secrets")
        XCTAssertEqual(try card.ecdhCount() - ecdh, 1, "one ECDH: the manifest")
        XCTAssertEqual(granted("DB_PASSWORD"), db)
        XCTAssertEqual(granted("API_TOKEN"), api)
        XCTAssertEqual(daemon.granted.first { "\($0.slug)" == "fleet.prod.DB_PASSWORD" }?.vault, "openbao:secret/fleet/robot1/db#password")
        XCTAssertEqual(terminal.asked, [], "a robot's card asks nothing")

        let logins = try server.auditedLogins(path: "auth/cert/login")
        XCTAssertEqual(logins.count, 1, "one cert login")
        let lookup = try server.bao(["token", "lookup", "-accessor", try XCTUnwrap(logins.first)])
        XCTAssertNotEqual(lookup.status, 0, "the login token is revoked (revoke-self) before unlock returns: \(lookup)")
        XCTAssertTrue(lookup.err.contains("invalid accessor") || lookup.err.contains("bad token"), lookup.err)
    }

    /// The same robot with a 0600 PIN file and no terminal (the fake answers nothing): the one
    /// card PIN rule asks the cert login's PIN as a PIN request, and the file answers it as it
    /// answers the manifest's; the file is read once for both.
    func testPINOnceRobotLogsInWithThePINFromAPINFileAndNoTerminal() throws {
        let (robot6, card) = try robot("robot6", readable: "fleet/robot6", loginPIN: .once)
        let db = freshToken()
        try server.ok(["kv", "put", "secret/fleet/robot6/db", "password=\(db)"])
        try openbaoKey(robot6, "DB_PASSWORD", "secret/fleet/robot6/db#password")
        let pinFile = try bench.dir.write("robot6.pin", Array("123456\n".utf8), mode: 0o600)
        let signs = try signatures(card)
        try unlock(robot6, pin: .file(pinFile.path))
        XCTAssertEqual(terminal.asked, [], "nothing asked of a terminal")
        XCTAssertEqual(try signatures(card) - signs, 1, "the login signature, with the PIN from the file")
        XCTAssertEqual(try server.auditedLogins(path: "auth/cert/login").count, 1, "one cert login")
        XCTAssertEqual(granted("DB_PASSWORD"), db)
    }

    func testSecondRobotIsRefusedTheFirstRobotsPathAndAnUntrustedCardCannotLogIn() throws {
        let (robot2, _) = try robot("robot2", readable: "fleet/robot2")
        try server.ok(["kv", "put", "secret/fleet/robot1/db", "password=\(freshToken())"])
        let mine = freshToken()
        try server.ok(["kv", "put", "secret/fleet/robot2/db", "password=\(mine)"])
        try openbaoKey(robot2, "OWN", "secret/fleet/robot2/db#password")
        try unlock(robot2)
        XCTAssertEqual(granted("OWN"), mine)

        bench.daemon = FakeDaemon()
        try openbaoKey(robot2, "THEIRS", "secret/fleet/robot1/db#password")
        XCTAssertThrowsError(try unlock(robot2)) { error in
            let (message, code) = cliReport(error)
            XCTAssertEqual(code, 3, message)
            XCTAssertTrue(message.contains("denied reading secret/fleet/robot1/db (403): this login's policies do not allow the path"), message)
        }
        XCTAssertTrue(daemon.granted.isEmpty, "nothing unlocked, not even its own key")

        let (stranger, _) = try robot("stranger", readable: "fleet/stranger", trusted: false)
        try openbaoKey(stranger, "ANY", "secret/fleet/robot2/db#password")
        XCTAssertThrowsError(try unlock(stranger)) { error in
            let (message, code) = cliReport(error)
            XCTAssertEqual(code, 3, message)
            XCTAssertTrue(message.contains("refused the cert login"), message)
            XCTAssertTrue(message.contains("bao write auth/cert/certs/NAME certificate=@cert.pem"), message)
        }
        XCTAssertTrue(daemon.granted.isEmpty)
    }

    // MARK: the card-signed JWT (jwt login, source card)

    private let audience = "https://bao.fleet.example"

    /// A robot whose OpenBao login is the card-signed JWT for role `name` (bound to sub = name),
    /// with a key reading secret/fleet/NAME/db.
    private func jwtRobot(_ name: String, loginPIN: PINPolicy = .never) throws -> (OwnerName, SimulatedCard) {
        let (owner, card) = try robot(name, readable: "fleet/\(name)", loginPIN: loginPIN, trusted: false)
        try server.policy(name, #"path "secret/data/fleet/\#(name)/*" { capabilities = ["read"] }"#)
        try server.ok(["write", "auth/jwt/role/\(name)", "-"], stdin: try json([
            "role_type": "jwt", "user_claim": "sub", "bound_subject": name, "bound_audiences": [audience],
            "token_policies": [name], "token_ttl": "5m"]))
        try bench.openBao(owner) { $0.login = .jwt; $0.jwtSource = .card; $0.jwtRole = name; $0.jwtAudience = audience }
        try openbaoKey(owner, "DB_PASSWORD", "secret/fleet/\(name)/db#password")
        return (owner, card)
    }

    private func json(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    /// The operator trusts these public keys, and only these, on the jwt mount.
    private func trust(_ keys: [String]) throws {
        try server.ok(["write", "auth/jwt/config", "-"], stdin: try json(["jwt_validation_pubkeys": keys, "bound_issuer": "keyrack"]))
    }

    func testTheCardSignedJWTLogsInOnceAndItsTokenIsRevoked() throws {
        try server.ok(["auth", "enable", "jwt"])
        let (robot1, card) = try jwtRobot("robot1")
        let publicKey = try XCTUnwrap(publicKeys["robot1"])
        XCTAssertTrue(publicKey.hasPrefix("-----BEGIN PUBLIC KEY-----\n") && publicKey.hasSuffix("-----END PUBLIC KEY-----\n"), publicKey)
        try trust([publicKey])
        let db = freshToken()
        try server.ok(["kv", "put", "secret/fleet/robot1/db", "password=\(db)"])

        let (signs, ecdh) = (try signatures(card), try card.ecdhCount())
        XCTAssertEqual(try unlock(robot1).unlocked.count, 1)
        XCTAssertEqual(try signatures(card) - signs, 1, "one card signature: the JWT")
        XCTAssertEqual(try card.ecdhCount() - ecdh, 1, "one ECDH: the manifest")
        XCTAssertEqual(granted("DB_PASSWORD"), db)

        // bao saw one login whose JWT says who and for whom, and its token is gone.
        let login = try XCTUnwrap(try server.auditEntries().first {
            $0["type"] as? String == "response" && ($0["request"] as? [String: Any])?["path"] as? String == "auth/jwt/login"
        })
        let auth = try XCTUnwrap(login["auth"] as? [String: Any])
        XCTAssertEqual((auth["metadata"] as? [String: Any])?["role"] as? String, "robot1")
        XCTAssertEqual(auth["policies"] as? [String], ["default", "robot1"])
        let lookup = try server.bao(["token", "lookup", "-accessor", try XCTUnwrap(auth["accessor"] as? String)])
        XCTAssertNotEqual(lookup.status, 0, "the login token is revoked before unlock returns: \(lookup)")
    }

    func testAJWTSignedByAnotherCardIsRefused() throws {
        try server.ok(["auth", "enable", "jwt"])
        _ = try jwtRobot("robot1")
        let (robot2, stranger) = try jwtRobot("robot2")
        try trust([try XCTUnwrap(publicKeys["robot1"])])  // robot2's card is not among the mount's keys
        try server.ok(["kv", "put", "secret/fleet/robot2/db", "password=\(freshToken())"])

        let signs = try signatures(stranger)
        XCTAssertThrowsError(try unlock(robot2)) { error in
            let (message, code) = cliReport(error)
            XCTAssertEqual(code, 3, message)
            XCTAssertTrue(message.contains("OpenBao at \(server.address) refused the jwt login"), message)
            XCTAssertTrue(message.contains("no known key successfully validated the token signature"), "bao's reason: \(message)")
            XCTAssertFalse(message.contains("\n"), message)
        }
        XCTAssertEqual(try signatures(stranger) - signs, 1, "the card signed; the server said no")
        XCTAssertTrue(daemon.granted.isEmpty, "nothing granted")
        XCTAssertEqual(try server.auditedLogins(path: "auth/jwt/login"), [], "bao issued no token")
    }

    func testTheSlotsPINPolicyApplies() throws {
        // Slot 9a wants the PIN once per session; the manifest's slot wants none. The prompt is
        // the JWT login's, asked before anything is sent; without an answer (no terminal) nothing is.
        try server.ok(["auth", "enable", "jwt"])
        let (robot3, card) = try jwtRobot("robot3", loginPIN: .once)
        try trust([try XCTUnwrap(publicKeys["robot3"])])
        let db = freshToken()
        try server.ok(["kv", "put", "secret/fleet/robot3/db", "password=\(db)"])

        let signs = try signatures(card)
        XCTAssertThrowsError(try unlock(robot3))
        let asked = try XCTUnwrap(terminal.asked.last)
        guard case .pin(let prompt) = asked else { return XCTFail("\(asked)") }
        let noTerminal = SecretPrompt.NoTerminal(what: TerminalInteraction.secretName(prompt))
        XCTAssertTrue(noTerminal.problem.hasPrefix("cannot ask for the PIN for YubiKey with serial \(card.serial): no terminal"), noTerminal.problem)
        assertNamesNoCommandOrFlag("\(noTerminal)")
        XCTAssertEqual(try signatures(card), signs, "nothing signed without the PIN")
        XCTAssertTrue(daemon.granted.isEmpty)
        XCTAssertFalse(try server.auditedPaths().contains("auth/jwt/login"), "nothing was sent")

        terminal.answers[asked] = Array("123456".utf8)
        try unlock(robot3)
        XCTAssertEqual(try signatures(card) - signs, 1)
        XCTAssertEqual(granted("DB_PASSWORD"), db)
    }
}
