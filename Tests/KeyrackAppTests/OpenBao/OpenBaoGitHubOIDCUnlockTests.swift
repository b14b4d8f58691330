import Foundation
@testable import KeyrackApp
import KeyrackClient
import KeyrackCore
import TestSupport
import XCTest
import KeyrackNames

/// EPHEMERAL_VIA_GITHUB_OIDC on the openbao vault in-process: `unlock` (UnlockBench: fake daemon,
/// the job's environment given) logs in with the Actions ID token of the stand-in endpoint
/// (TestSupport's ActionsTokenEndpoint) at the real `bao server -dev`'s `jwt` auth, which checks
/// the signature, issuer, audience and `repository` claim; what bao refuses is passed on.
final class OpenBaoGitHubOIDCUnlockTests: XCTestCase {
    private var server: OpenBaoDevServer!
    private var bench: UnlockBench!
    private var owner: OwnerName!
    private var endpoints: [ActionsTokenEndpoint] = []
    private let requestToken = "actions-request-" + UUID().uuidString
    private var value = ""

    override func setUpWithError() throws {
        server = try OpenBaoDevServer()
        bench = try UnlockBench("keyrack-bao-oidc")
        let dir = bench.dir
        XCTAssertEqual(try Run.process("openssl", ["genrsa", "-out", dir.file("actions.pem").path, "2048"]).status, 0)
        XCTAssertEqual(try Run.process("openssl", ["rsa", "-in", dir.file("actions.pem").path, "-pubout", "-out", dir.file("actions.pub").path]).status, 0)
        // And a P-256 key for ES256 tokens: the mount trusts both public keys.
        XCTAssertEqual(try Run.process("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", dir.file("actions-ec.pem").path]).status, 0)
        XCTAssertEqual(try Run.process("openssl", ["ec", "-in", dir.file("actions-ec.pem").path, "-pubout", "-out", dir.file("actions-ec.pub").path]).status, 0)

        // The operator's side, with the real bao CLI: a jwt mount that trusts the issuer's keys and
        // a role bound to one audience and one repository.
        value = freshToken()
        try server.ok(["kv", "put", "secret/ci/deploy", "token=\(value)"])
        try server.policy("ci", #"path "secret/data/ci/*" { capabilities = ["read"] }"#)
        try server.ok(["auth", "enable", "jwt"])
        let keys = [try String(contentsOf: dir.file("actions.pub"), encoding: .utf8), try String(contentsOf: dir.file("actions-ec.pub"), encoding: .utf8)]
        try server.ok(["write", "auth/jwt/config", "-"], stdin: json(["jwt_validation_pubkeys": keys, "bound_issuer": "https://token.actions.githubusercontent.com"]))
        try server.ok(["write", "auth/jwt/role/acme-app", "-"], stdin: json([
            "role_type": "jwt", "user_claim": "sub", "bound_audiences": ["https://bao.acme.example"],
            "bound_claims": ["repository": "acme/app"], "token_policies": ["ci"], "token_ttl": "10m"]))

        owner = try bench.owner("ci")
        try bench.set(owner, "acme.prod.DEPLOY_TOKEN", .openBao, exid: "secret/ci/deploy#token", mech: .ephemeralViaGithubOidc)
        try bench.openBao(owner) {
            $0.addr = server.address; $0.cacert = server.caFile; $0.login = .jwt; $0.jwtRole = "acme-app"; $0.jwtAudience = "https://bao.acme.example"
        }
    }

    override func tearDown() {
        for e in endpoints { e.stop() }
        server?.stop()
        bench?.remove()
    }

    private func json(_ object: Any) throws -> String { String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self) }

    /// A stand-in token endpoint issuing tokens for `repository`, and the environment of an
    /// Actions job pointed at it (no OpenBao token).
    private func actions(repository: String = "acme/app", expired: Bool = false, es256: Bool = false) throws -> (env: [String: String], endpoint: ActionsTokenEndpoint) {
        let endpoint = try ActionsTokenEndpoint(dir: bench.dir, privateKey: bench.dir.file(es256 ? "actions-ec.pem" : "actions.pem"),
                                                requestToken: requestToken, repository: repository, expired: expired, algorithm: es256 ? "ES256" : "RS256")
        endpoints.append(endpoint)
        return (endpoint.environment.compactMapValues { $0 }, endpoint)
    }

    @discardableResult
    private func unlock(_ environment: [String: String]) throws -> UnlockResult { try bench.unlock(owner, env: "prod", environment: environment) }

    /// The same login with an ES256 ID token (a P-256 issuer key): granted for acme/app, refused
    /// for another repository, nothing granted then.
    func testAnES256IDTokenLogsInAndAnotherRepositorysIsRefused() throws {
        let (env, endpoint) = try actions(es256: true)
        XCTAssertEqual(try unlock(env).unlocked.count, 1)
        let jwt = try XCTUnwrap(try endpoint.requests().first?["issued"] as? String)
        var header = String(jwt.split(separator: ".")[0]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        header += String(repeating: "=", count: (4 - header.count % 4) % 4)
        XCTAssertEqual((try JSONSerialization.jsonObject(with: try XCTUnwrap(Data(base64Encoded: header))) as? [String: Any])?["alg"] as? String, "ES256")
        XCTAssertEqual(bench.granted("acme.prod.DEPLOY_TOKEN"), value)

        bench.daemon = FakeDaemon()
        let (other, _) = try actions(repository: "acme/other", es256: true)
        XCTAssertThrowsError(try unlock(other)) { XCTAssertEqual(cliReport($0).exit, 3) }
        XCTAssertTrue(bench.daemon.granted.isEmpty, "nothing granted")
    }

    func testAWrongAudienceAnotherRepositoryOrAnExpiredTokenIsRefusedByBao() throws {
        let cases: [(what: String, repository: String, expired: Bool, audience: String, reason: String)] = [
            ("wrong audience", "acme/app", false, "https://other.example", "audience claim does not match any expected audience"),
            ("another repository", "acme/other", false, "https://bao.acme.example", "claim \"repository\" does not match any associated bound claim values"),
            ("expired token", "acme/app", true, "https://bao.acme.example", "token is expired"),
        ]
        for c in cases {
            try bench.openBao(owner) { $0.jwtAudience = c.audience }
            let (env, endpoint) = try actions(repository: c.repository, expired: c.expired)
            XCTAssertThrowsError(try unlock(env)) { error in
                let (message, code) = cliReport(error)
                XCTAssertEqual(code, 3, "\(c.what): \(message)")
                XCTAssertTrue(message.contains("OpenBao at \(server.address) refused the jwt login"), "\(c.what): \(message)")
                XCTAssertTrue(message.lowercased().contains(c.reason.lowercased()), "\(c.what): bao's reason is passed on: \(message)")
            }
            XCTAssertEqual(try endpoint.requests().first?["audience"] as? String, c.audience, c.what)
            XCTAssertTrue(bench.daemon.granted.isEmpty, "\(c.what): nothing granted")
        }
        XCTAssertEqual(try server.auditedLogins(path: "auth/jwt/login"), [], "bao issued no token")
    }

    func testOutsideActionsTheUnlockSaysSoOnOneLineAndGrantsNothing() throws {
        let (env, endpoint) = try actions()
        var outside = env
        outside[ActionsTokenEndpoint.urlVariable] = nil
        outside[ActionsTokenEndpoint.tokenVariable] = nil
        XCTAssertThrowsError(try unlock(outside)) { error in
            let (message, code) = cliReport(error)
            XCTAssertEqual(code, 3, message)
            XCTAssertEqual(message + "\n", "error: no GitHub Actions ID token: ACTIONS_ID_TOKEN_REQUEST_URL is not set, so this is not a GitHub Actions job or the job lacks `permissions: id-token: write`; nothing was unlocked (outside Actions use another login: keyrack set-default --openbao-login cert|approle|token)\n")
        }
        XCTAssertTrue(bench.daemon.granted.isEmpty, "nothing granted")
        XCTAssertEqual(try endpoint.requests().count, 0)
        XCTAssertFalse(try server.auditedPaths().contains("auth/jwt/login"), "nothing was sent to bao's login")

        // A request token for the wrong job: the endpoint's 401 is named, exit 3.
        var wrong = env
        wrong[ActionsTokenEndpoint.tokenVariable] = "not-this-job"
        assertCLIError(try unlock(wrong), exit: 3, "no GitHub Actions ID token: its endpoint answered HTTP 401")
        XCTAssertTrue(bench.daemon.granted.isEmpty)
    }
}
