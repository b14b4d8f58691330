import Foundation
import TestSupport
import XCTest

/// A JWT the card signs (issue 29): `--openbao-login jwt --openbao-jwt-source card` builds a
/// two-minute ES256 JWT (iss keyrack, sub = the owner, aud, iat/nbf/exp, jti) whose one signature
/// the robot's simulated YubiKey makes in slot 9a, and logs in through the real `bao server -dev`'s
/// `jwt` auth, which verifies it with the public key `keyrack yubikey setup --slot 9a` printed
/// (jwt_validation_pubkeys). A JWT signed by another card is refused. Run inside
/// scripts/with-simulated-yubikey.
final class OpenBaoCardJWTTests: XCTestCase {
    private var server: OpenBaoDevServer!
    private var h: DaemonHarness!
    private var cards: [SimulatedCard] = []
    private let audience = "https://bao.fleet.example"

    override func setUpWithError() throws {
        try XCTSkipIf(SimulatedCard.cardTestsDisabled, "KEYRACK_NO_CARD_TESTS=1")
        server = try OpenBaoDevServer()
        h = try DaemonHarness()
        try server.ok(["auth", "enable", "jwt"])
    }

    override func tearDown() {
        h?.tearDown()
        for card in cards { card.remove() }
        server?.stop()
    }

    private var noEnv: [String: String?] { ["BAO_TOKEN": nil, "VAULT_TOKEN": nil, "BAO_ADDR": nil, "VAULT_ADDR": nil, "VAULT_CACERT": nil] }

    private func json(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    /// A robot with its own card: slot 9a made by `keyrack yubikey setup`, whose stdout is the
    /// public key PEM; a manifest on a retired slot; its OpenBao login the card-signed JWT for
    /// role `name` (bound to sub = name), and a key reading secret/fleet/NAME/db. Returns the
    /// card and the public key.
    private func robot(_ name: String, pinPolicy: String = "never") throws -> (card: SimulatedCard, publicKey: String) {
        let card = try SimulatedCard.insert()
        cards.append(card)
        let s = String(card.serial)
        let setup = try h.ok(["yubikey", "setup", "--serial", s, "--slot", "9a", "--pin-policy", pinPolicy, "--touch-policy", "never",
                              "--pin-stdin", "-o", h.machine.dir.file("\(name).pem").path], stdin: "123456\n")
        XCTAssertTrue(setup.out.hasPrefix("-----BEGIN PUBLIC KEY-----\n") && setup.out.hasSuffix("-----END PUBLIC KEY-----\n"), setup.out)
        try h.ok(["init", "--for", name, "--via", "yubikey", "--serial", s, "--pin-policy", "never", "--touch-policy", "never", "--pin-stdin"],
                 stdin: "123456\n")
        try server.policy(name, #"path "secret/data/fleet/\#(name)/*" { capabilities = ["read"] }"#)
        try server.ok(["write", "auth/jwt/role/\(name)", "-"], stdin: json([
            "role_type": "jwt", "user_claim": "sub", "bound_subject": name, "bound_audiences": [audience],
            "token_policies": [name], "token_ttl": "5m"]))
        try h.ok(["set-default", "--for", name, "--openbao-addr", server.address, "--openbao-cacert", server.caFile,
                  "--openbao-login", "jwt", "--openbao-jwt-source", "card", "--openbao-jwt-role", name, "--openbao-jwt-audience", audience])
        try h.ok(["set", "--for", name, "--key", "DB_PASSWORD", "--env", "prod", "--org", "fleet", "--vault", "openbao",
                  "--exid", "secret/fleet/\(name)/db#password"])
        return (card, setup.out)
    }

    /// The operator trusts these public keys, and only these, on the jwt mount.
    private func trust(_ keys: [String]) throws {
        try server.ok(["write", "auth/jwt/config", "-"], stdin: json(["jwt_validation_pubkeys": keys, "bound_issuer": "keyrack"]))
    }

    private func signatures(_ card: SimulatedCard) throws -> Int { try card.stateValue("signCount") as? Int ?? 0 }

    private func granted(_ owner: String) throws -> [String] {
        let status = try ManifestHarness.json(try h.ok(["status", "--for", owner, "--json"]))
        return try XCTUnwrap(status["keys"] as? [[String: Any]]).compactMap { $0["key"] as? String }
    }

    func testTheSlotsPINPolicyApplies() throws {
        // Slot 9a wants the PIN once per session; the manifest's slot wants none. The prompt is
        // the cert login's, asked before anything is sent.
        let (card, publicKey) = try robot("robot3", pinPolicy: "once")
        try trust([publicKey])
        let db = randomSecret("db")
        try server.ok(["kv", "put", "secret/fleet/robot3/db", "password=\(db)"])

        let signs = try signatures(card)
        let noTerminal = try h.keyrack(["unlock", "--for", "robot3", "--env", "prod"], env: noEnv)
        XCTAssertEqual(noTerminal.status, 2, "no terminal, no PIN: \(noTerminal)")
        XCTAssertTrue(noTerminal.err.hasPrefix("error: cannot ask for the PIN for YubiKey with serial \(card.serial): no terminal"), noTerminal.err)
        XCTAssertEqual(try signatures(card), signs, "nothing signed without the PIN")
        XCTAssertEqual(try granted("robot3"), [])
        XCTAssertFalse(try server.auditedPaths().contains("auth/jwt/login"), "nothing was sent")

        let r = try h.terminal(["unlock", "--for", "robot3", "--env", "prod"], answers: [("Enter PIN for YubiKey with serial \(card.serial)", "123456")])
        XCTAssertEqual(r.status, 0, r.transcript)
        XCTAssertEqual(try signatures(card) - signs, 1)
        XCTAssertEqual(try h.ok(["get", "--for", "robot3", "--key", "fleet.prod.DB_PASSWORD", "--value"]).out, db)
    }
}
