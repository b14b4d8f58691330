import Foundation
import TestSupport
import XCTest

/// EPHEMERAL_VIA_GITHUB_OIDC on the aws.config vault (issue 29): a GitHub Actions job assumes its
/// profile's role with the job's ID token (STS AssumeRoleWithWebIdentity through the real AWS CLI
/// v2, against moto's server), so no AWS key is stored anywhere. The ID token comes from the
/// stand-in for Actions' token endpoint (Fixtures/github-oidc-endpoint). moto does not check the
/// token against a trust policy: that refusal is AWS's own and is not claimed here.
final class AWSWebIdentityTests: XCTestCase {
    private static var moto: MotoServer?
    private var h: DaemonHarness!
    private var aws: String!
    private var endpoint: ActionsTokenEndpoint!
    private let requestToken = "actions-request-" + UUID().uuidString
    private var config: URL { h.machine.home.appendingPathComponent(".aws/config") }

    override class func setUp() {
        super.setUp()
        moto = try? MotoServer(log: NSTemporaryDirectory() + "/moto-oidc-\(getpid()).log")
    }

    override class func tearDown() {
        moto?.stop()
        moto = nil
        super.tearDown()
    }

    override func setUpWithError() throws {
        guard AWSWebIdentityTests.moto != nil else { throw NSError(domain: "AWSWebIdentityTests", code: 1, userInfo: [NSLocalizedDescriptionKey: "moto_server did not start: run scripts/install-deps"]) }
        aws = try CloudServers.awsCLI()
        h = try DaemonHarness()
        try h.sshOwner("ci")
        try FileManager.default.createDirectory(at: config.deletingLastPathComponent(), withIntermediateDirectories: true)
        // The profile names the role only: no key, no token file.
        try Data("[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/acme-deploy\nregion = eu-west-1\n".utf8).write(to: config)
        let pem = h.machine.dir.file("actions.pem")
        XCTAssertEqual(try Run.process("openssl", ["genrsa", "-out", pem.path, "2048"]).status, 0)
        endpoint = try ActionsTokenEndpoint(dir: h.machine.dir, privateKey: pem, requestToken: requestToken)
        try h.ok(["set", "--for", "ci", "--key", "AWS_PROFILE", "--env", "prod", "--org", "acme", "--vault", "aws.config",
                  "--mech", "EPHEMERAL_VIA_GITHUB_OIDC", "--exid", "deploy"], env: awsEnv())
    }

    override func tearDown() {
        endpoint?.stop()
        h?.tearDown()
    }

    private func awsEnv(_ extra: [String: String?] = [:]) -> [String: String?] {
        var e: [String: String?] = [
            "AWS_CONFIG_FILE": config.path, "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
            "AWS_ENDPOINT_URL": AWSWebIdentityTests.moto!.endpoint, "AWS_ACCESS_KEY_ID": nil, "AWS_SECRET_ACCESS_KEY": nil,
            "AWS_SESSION_TOKEN": nil, "AWS_PROFILE": nil, "AWS_DEFAULT_PROFILE": nil, "AWS_REGION": nil, "AWS_DEFAULT_REGION": nil,
            "KEYRACK_AWS_CLI": nil, "AWS_PAGER": "", ActionsTokenEndpoint.urlVariable: nil, ActionsTokenEndpoint.tokenVariable: nil,
        ]
        for (k, v) in extra { e[k] = v }
        return e
    }

    private func granted() throws -> [String] {
        let status = try ManifestHarness.json(try h.ok(["status", "--for", "ci", "--json"], env: awsEnv()))
        return try XCTUnwrap(status["keys"] as? [[String: Any]]).compactMap { $0["key"] as? String }.sorted()
    }

    func testTheJobAssumesTheProfilesRoleWithItsIDTokenAndExecSeesTheRole() throws {
        let r = try h.ok(["unlock", "--for", "ci", "--env", "prod"], env: awsEnv(endpoint.environment))
        XCTAssertTrue(r.out.contains("unlocked"), r.out)
        XCTAssertEqual(try granted(), ["AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"])
        let asked = try endpoint.requests()
        XCTAssertEqual(asked.count, 1)
        XCTAssertEqual(asked.first?["audience"] as? String, "sts.amazonaws.com", "AWS's audience for GitHub's provider")
        XCTAssertEqual(asked.first?["bearerMatched"] as? Bool, true)
        let jwt = try XCTUnwrap(asked.first?["issued"] as? String)

        // The real CLI inside exec, with nothing but the granted keys: it is the assumed role.
        let bare = h.machine.dir.file("bare-config")
        try Data("[profile deploy]\nregion = eu-west-1\n".utf8).write(to: bare)  // AWS_PROFILE=deploy is granted too
        let exec = try h.keyrack(["exec", "--for", "ci", "--env", "prod", "--", aws, "--endpoint-url", AWSWebIdentityTests.moto!.endpoint,
                                  "sts", "get-caller-identity", "--query", "Arn", "--output", "text"],
                                 env: awsEnv(["AWS_CONFIG_FILE": bare.path]))
        XCTAssertEqual(exec.status, 0, "\(exec)")
        XCTAssertEqual(exec.out, "arn:aws:sts::123456789012:assumed-role/acme-deploy/keyrack-acme-prod\n")

        // The ID token went through a pipe: not in any output, argv we printed, or file.
        XCTAssertFalse(r.out.contains(jwt) || r.err.contains(jwt) || exec.out.contains(jwt))
        XCTAssertEqual(endpoint.files(under: h.machine.dir.url, containing: jwt), [], "the ID token is never written to disk")
    }

    func testOutsideActionsTheUnlockSaysSoAndGrantsNothing() throws {
        let r = try h.keyrack(["unlock", "--for", "ci", "--env", "prod"], env: awsEnv())
        XCTAssertEqual(r.status, 3, r.description)
        XCTAssertTrue(r.err.hasPrefix("error: no GitHub Actions ID token: ACTIONS_ID_TOKEN_REQUEST_URL is not set"), r.err)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)
        XCTAssertEqual(try granted(), [])
        XCTAssertEqual(try endpoint.requests().count, 0)
    }
}
