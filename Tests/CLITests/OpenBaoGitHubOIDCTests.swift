import Foundation
import TestSupport
import XCTest

/// EPHEMERAL_VIA_GITHUB_OIDC on the openbao vault (issue 29): a CI job logs in with its GitHub
/// Actions ID token, with no stored secret. The server is the real `bao server -dev` with its
/// real `jwt` auth method, which checks the token's RS256 (or ES256) signature against the stand-in's public
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
        // And a P-256 key for ES256 tokens: the mount trusts both public keys.
        let ec = h.machine.dir.file("actions-ec.pem").path
        XCTAssertEqual(try Run.process("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", ec]).status, 0)
        XCTAssertEqual(try Run.process("openssl", ["ec", "-in", ec, "-pubout", "-out", h.machine.dir.file("actions-ec.pub").path]).status, 0)

        // The operator's side, with the real bao CLI: a jwt mount that trusts the issuer's key and
        // a role bound to one audience and one repository.
        value = randomSecret("deploy")
        try server.ok(["kv", "put", "secret/ci/deploy", "token=\(value)"])
        try server.policy("ci", #"path "secret/data/ci/*" { capabilities = ["read"] }"#)
        try server.ok(["auth", "enable", "jwt"])
        let publicKey = try String(contentsOf: h.machine.dir.file("actions.pub"), encoding: .utf8)
        let ecPublicKey = try String(contentsOf: h.machine.dir.file("actions-ec.pub"), encoding: .utf8)
        try server.ok(["write", "auth/jwt/config", "-"], stdin: json([
            "jwt_validation_pubkeys": [publicKey, ecPublicKey], "bound_issuer": "https://token.actions.githubusercontent.com"]))
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
    private func actions(repository: String = "acme/app", expired: Bool = false, es256: Bool = false) throws -> (env: [String: String?], endpoint: ActionsTokenEndpoint) {
        let endpoint = try ActionsTokenEndpoint(machine: h.machine, privateKey: h.machine.dir.file(es256 ? "actions-ec.pem" : "actions.pem"),
                                                requestToken: requestToken, repository: repository, expired: expired,
                                                algorithm: es256 ? "ES256" : "RS256")
        endpoints.append(endpoint)
        var env = endpoint.environment
        for k in ["BAO_TOKEN", "VAULT_TOKEN", "BAO_ADDR", "VAULT_ADDR"] { env[k] = .some(nil) }
        return (env, endpoint)
    }

    private enum GitHubOIDC {
        static let url = ActionsTokenEndpoint.urlVariable, token = ActionsTokenEndpoint.tokenVariable
    }

    private func granted() throws -> [String] {
        let status = try ManifestHarness.json(try h.ok(["status", "--for", owner, "--json"]))
        return try XCTUnwrap(status["keys"] as? [[String: Any]]).compactMap { $0["key"] as? String }
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

    /// The same login with an ES256 ID token (a P-256 issuer key): granted for acme/app, refused
    /// for another repository, nothing granted then.
    func testAnES256IDTokenLogsInAndAnotherRepositorysIsRefused() throws {
        let (env, endpoint) = try actions(es256: true)
        XCTAssertTrue(try h.ok(["unlock", "--for", owner, "--env", "prod"], env: env).out.contains("unlocked 1 key(s)"))
        let jwt = try XCTUnwrap(try endpoint.requests().first?["issued"] as? String)
        let header = try XCTUnwrap(Data(base64Encoded: Self.padded(String(jwt.split(separator: ".")[0]))))
        XCTAssertEqual((try JSONSerialization.jsonObject(with: header) as? [String: Any])?["alg"] as? String, "ES256")
        XCTAssertEqual(try h.ok(["get", "--for", owner, "--key", "acme.prod.DEPLOY_TOKEN", "--value"]).out, value)
        try h.ok(["relock", "--for", owner])

        let (other, _) = try actions(repository: "acme/other", es256: true)
        let refused = try h.keyrack(["unlock", "--for", owner, "--env", "prod"], env: other)
        XCTAssertEqual(refused.status, 3, refused.description)
        XCTAssertEqual(try granted(), [], "nothing granted")
    }

    private static func padded(_ base64url: String) -> String {
        let s = base64url.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        return s + String(repeating: "=", count: (4 - s.count % 4) % 4)
    }

    func testAWrongAudienceAnotherRepositoryOrAnExpiredTokenIsRefusedByBao() throws {
        let cases: [(what: String, repository: String, expired: Bool, audience: String, reason: String)] = [
            ("wrong audience", "acme/app", false, "https://other.example", "audience claim does not match any expected audience"),
            ("another repository", "acme/other", false, "https://bao.acme.example", "claim \"repository\" does not match any associated bound claim values"),
            ("expired token", "acme/app", true, "https://bao.acme.example", "token is expired"),
        ]
        for c in cases {
            try h.ok(["set-default", "--for", owner, "--openbao-jwt-audience", c.audience])
            let (env, endpoint) = try actions(repository: c.repository, expired: c.expired)
            let r = try h.keyrack(["unlock", "--for", owner, "--env", "prod"], env: env)
            XCTAssertEqual(r.status, 3, "\(c.what): \(r)")
            XCTAssertTrue(r.err.contains("OpenBao at \(server.address) refused the jwt login"), "\(c.what): \(r.err)")
            XCTAssertTrue(r.err.lowercased().contains(c.reason.lowercased()), "\(c.what): bao's reason is passed on: \(r.err)")
            XCTAssertEqual(r.err.split(separator: "\n").count, 1, "one line: \(r.err)")
            XCTAssertEqual(try endpoint.requests().first?["audience"] as? String, c.audience, c.what)
            XCTAssertEqual(try granted(), [], "\(c.what): nothing granted")
        }
        XCTAssertEqual(try server.auditedLogins(path: "auth/jwt/login"), [], "bao issued no token")
    }

    func testOutsideActionsTheUnlockSaysSoOnOneLineAndGrantsNothing() throws {
        let (env, endpoint) = try actions()
        var outside = env
        outside[GitHubOIDC.url] = nil
        outside[GitHubOIDC.token] = nil
        let r = try h.keyrack(["unlock", "--for", owner, "--env", "prod"], env: outside)
        XCTAssertEqual(r.status, 3, r.description)
        XCTAssertEqual(r.err, "error: no GitHub Actions ID token: ACTIONS_ID_TOKEN_REQUEST_URL is not set, so this is not a GitHub Actions job or the job lacks `permissions: id-token: write`; nothing was unlocked (outside Actions use another login: keyrack set-default --openbao-login cert|approle|token)\n")
        XCTAssertEqual(try granted(), [], "nothing granted")
        XCTAssertEqual(try endpoint.requests().count, 0)
        XCTAssertFalse(try server.auditedPaths().contains("auth/jwt/login"), "nothing was sent to bao's login")

        // A request token for the wrong job: the endpoint's 401 is named, exit 3.
        var wrong = env
        wrong[GitHubOIDC.token] = "not-this-job"
        let refused = try h.keyrack(["unlock", "--for", owner, "--env", "prod"], env: wrong)
        XCTAssertEqual(refused.status, 3, refused.description)
        XCTAssertTrue(refused.err.contains("no GitHub Actions ID token: its endpoint answered HTTP 401"), refused.err)
        XCTAssertEqual(try granted(), [])
    }
}
