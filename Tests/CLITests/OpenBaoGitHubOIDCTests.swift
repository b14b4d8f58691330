import Foundation
import TestSupport
import XCTest

/// EPHEMERAL_VIA_GITHUB_OIDC on the openbao vault (issue 29): a CI job logs in with its GitHub
/// Actions ID token, with no stored secret. The server is the real `bao server -dev` with its
/// real `jwt` auth method, which checks the token's RS256 signature against the stand-in's public
/// key (jwt_validation_pubkeys), its issuer, audience and `repository` claim. GitHub's token
/// endpoint is a stand-in (Fixtures/github-oidc-endpoint: Actions cannot run here and there is
/// no network) that keeps the documented request and response and signs with PyJWT.
final class OpenBaoGitHubOIDCTests: XCTestCase {
    private var server: OpenBaoDevServer!
    private var h: DaemonHarness!
    private var endpoints: [ActionsTokenEndpoint] = []
    private let requestToken = "actions-request-" + UUID().uuidString
    private let owner = "ci"
    private var value = ""

    override func setUpWithError() throws {
        server = try OpenBaoDevServer()
        h = try DaemonHarness()
        let pem = h.machine.dir.file("actions.pem").path
        XCTAssertEqual(try Run.process("openssl", ["genrsa", "-out", pem, "2048"]).status, 0)
        XCTAssertEqual(try Run.process("openssl", ["rsa", "-in", pem, "-pubout", "-out", h.machine.dir.file("actions.pub").path]).status, 0)

        // The operator's side, with the real bao CLI: a jwt mount that trusts the issuer's key and
        // a role bound to one audience and one repository.
        value = randomSecret("deploy")
        try server.ok(["kv", "put", "secret/ci/deploy", "token=\(value)"])
        try server.policy("ci", #"path "secret/data/ci/*" { capabilities = ["read"] }"#)
        try server.ok(["auth", "enable", "jwt"])
        let publicKey = try String(contentsOf: h.machine.dir.file("actions.pub"), encoding: .utf8)
        try server.ok(["write", "auth/jwt/config", "-"], stdin: json([
            "jwt_validation_pubkeys": [publicKey], "bound_issuer": "https://token.actions.githubusercontent.com"]))
        try server.ok(["write", "auth/jwt/role/acme-app", "-"], stdin: json([
            "role_type": "jwt", "user_claim": "sub", "bound_audiences": ["https://bao.acme.example"],
            "bound_claims": ["repository": "acme/app"], "token_policies": ["ci"], "token_ttl": "10m"]))

        try h.sshOwner(owner)
        try h.ok(["set", "--for", owner, "--key", "DEPLOY_TOKEN", "--env", "prod", "--org", "acme", "--vault", "openbao",
                  "--mech", "EPHEMERAL_VIA_GITHUB_OIDC", "--exid", "secret/ci/deploy#token"])
        try h.ok(["set-default", "--for", owner, "--openbao-addr", server.address, "--openbao-cacert", server.caFile,
                  "--openbao-login", "jwt", "--openbao-jwt-role", "acme-app", "--openbao-jwt-audience", "https://bao.acme.example"])
    }

    override func tearDown() {
        for e in endpoints { e.stop() }
        h?.tearDown()
        server?.stop()
    }

    private func json(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    /// Starts a stand-in token endpoint issuing tokens for `repository`; returns the environment
    /// of an Actions job pointed at it (and no OpenBao token), and the endpoint.
    private func actions() throws -> (env: [String: String?], endpoint: ActionsTokenEndpoint) {
        let endpoint = try ActionsTokenEndpoint(dir: h.machine.dir, privateKey: h.machine.dir.file("actions.pem"), requestToken: requestToken)
        endpoints.append(endpoint)
        var env = endpoint.environment
        for k in ["BAO_TOKEN", "VAULT_TOKEN", "BAO_ADDR", "VAULT_ADDR"] { env[k] = .some(nil) }
        return (env, endpoint)
    }

    func testAnActionsJobLogsInWithItsIDTokenAndTheLoginTokenIsRevoked() throws {
        let (env, endpoint) = try actions()
        let r = try h.ok(["unlock", "--for", owner, "--env", "prod"], env: env)
        XCTAssertTrue(r.out.contains("unlocked 1 key(s)"), r.out)
        XCTAssertEqual(try h.ok(["get", "--for", owner, "--key", "acme.prod.DEPLOY_TOKEN", "--value"]).out, value)

        // The stand-in was asked once, with the request token and the configured audience.
        let seen = try endpoint.requests()
        XCTAssertEqual(seen.count, 1, "one ID token per unlock")
        XCTAssertEqual(seen.first?["bearerMatched"] as? Bool, true)
        XCTAssertEqual(seen.first?["audience"] as? String, "https://bao.acme.example")
        XCTAssertEqual(seen.first?["apiVersion"] as? String, "2.0", "the runner's query is kept")
        let jwt = try XCTUnwrap(seen.first?["issued"] as? String)

        // bao logged the job in once, as the role's user_claim says, and the token is gone.
        let logins = try server.auditedLogins(path: "auth/jwt/login")
        XCTAssertEqual(logins.count, 1, "one jwt login per unlock")
        for accessor in logins {
            let lookup = try server.bao(["token", "lookup", "-accessor", accessor])
            XCTAssertNotEqual(lookup.status, 0, "the login token is revoked once unlock returns: \(lookup)")
        }
        XCTAssertTrue(try server.auditedPaths().contains("auth/token/revoke-self"), "revoked with revoke-self")

        // The ID token is in no output and no file keyrack wrote (manifests, daemon logs, runtime).
        XCTAssertFalse(r.out.contains(jwt) || r.err.contains(jwt), "the ID token is never printed")
        XCTAssertEqual(endpoint.files(under: h.machine.dir.url, containing: jwt), [], "the ID token is never written to disk")
        XCTAssertEqual(endpoint.files(under: h.machine.dir.url, containing: requestToken), [], "nor is the request token")
    }

    // ES256, a wrong audience, another repository, an expired token, outside Actions:
    // KeyrackAppTests/OpenBao/OpenBaoGitHubOIDCUnlockTests.swift, in-process.
}
