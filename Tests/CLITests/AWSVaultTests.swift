import Foundation
import TestSupport
import XCTest

/// aws.params (SSM SecureStrings) and aws.config + EPHEMERAL_VIA_AWS_SSO (a profile's temporary
/// credentials) with the real AWS CLI v2 against moto's server, started here on a free loopback
/// port. Profiles get their credentials from a `credential_process` (the AWS CLI's documented
/// hook) that emits temporary keys with an Expiration, so the export path and the expiry cap
/// run for real.
final class AWSVaultTests: XCTestCase {
    private static var moto: MotoServer?
    private var h: DaemonHarness!
    private var aws: String!
    private var config: URL { h.machine.home.appendingPathComponent(".aws/config") }

    override class func setUp() {
        super.setUp()
        moto = try? MotoServer(log: NSTemporaryDirectory() + "/moto-\(getpid()).log")
    }

    override class func tearDown() {
        moto?.stop()
        moto = nil
        super.tearDown()
    }

    override func setUpWithError() throws {
        guard let moto = AWSVaultTests.moto else { throw NSError(domain: "AWSVaultTests", code: 1, userInfo: [NSLocalizedDescriptionKey: "moto_server did not start: run scripts/install-deps"]) }
        aws = try CloudServers.awsCLI()
        h = try DaemonHarness()
        try h.sshOwner("robot")
        try FileManager.default.createDirectory(at: config.deletingLastPathComponent(), withIntermediateDirectories: true)
        let process = h.machine.dir.file("credential-process")
        // Emits temporary credentials expiring OFFSET seconds from now, as a credential_process must.
        try Data("""
        #!/bin/sh
        exp=$(date -u -d "@$(( $(date +%s) + $1 ))" +%Y-%m-%dT%H:%M:%SZ)
        printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"secret-%s","SessionToken":"session-%s","Expiration":"%s"}\\n' "$2" "$2" "$2" "$exp"

        """.utf8).write(to: process)
        chmod(process.path, 0o755)
        try Data("""
        [profile robot]
        credential_process = \(process.path) 2400 ASIAROBOTTEMPORARY01
        region = eu-west-1
        [profile expired]
        credential_process = \(process.path) -60 ASIAROBOTEXPIRED0001
        region = eu-west-1
        [profile static]
        region = eu-west-1
        [profile ssobot]
        sso_session = corp
        sso_account_id = 123456789012
        sso_role_name = Deploy
        region = eu-west-1
        [sso-session corp]
        sso_start_url = https://corp.awsapps.com/start
        sso_region = eu-west-1
        sso_registration_scopes = sso:account:access

        """.utf8).write(to: config)
        // A long-lived key, as `aws configure` writes one: the firewall must keep refusing it.
        try Data("[static]\naws_access_key_id = AKIAROBOTLONGLIVED01\naws_secret_access_key = long-lived-secret\n".utf8)
            .write(to: h.machine.home.appendingPathComponent(".aws/credentials"))
        _ = moto
    }

    override func tearDown() { h?.tearDown() }

    /// The AWS side of the environment: this test's config, moto's endpoint, nothing inherited.
    private func awsEnv(_ extra: [String: String?] = [:]) -> [String: String?] {
        var e: [String: String?] = [
            "AWS_CONFIG_FILE": config.path, "AWS_SHARED_CREDENTIALS_FILE": h.machine.home.appendingPathComponent(".aws/credentials").path,
            "AWS_ENDPOINT_URL": AWSVaultTests.moto!.endpoint, "AWS_ACCESS_KEY_ID": nil, "AWS_SECRET_ACCESS_KEY": nil,
            "AWS_SESSION_TOKEN": nil, "AWS_PROFILE": nil, "AWS_DEFAULT_PROFILE": nil, "AWS_REGION": nil, "AWS_DEFAULT_REGION": nil,
            "KEYRACK_AWS_CLI": nil, "AWS_PAGER": "",
        ]
        for (k, v) in extra { e[k] = v }
        return e
    }

    private let envCredentials: [String: String?] = ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"]

    /// Writes a SecureString with the real CLI.
    private func putSecureString(_ name: String, _ value: String, region: String = "eu-west-1") throws {
        let r = try Run.process(aws, ["--endpoint-url", AWSVaultTests.moto!.endpoint, "--region", region, "ssm", "put-parameter",
                                      "--name", name, "--type", "SecureString", "--value", value], environment: awsEnv(envCredentials))
        XCTAssertEqual(r.status, 0, "\(r)")
    }

    @discardableResult
    private func keyrack(_ args: [String], _ extra: [String: String?] = [:]) throws -> RunResult {
        try h.keyrack(args, env: awsEnv(extra))
    }

    private func set(_ key: String, _ vault: String, _ more: [String], env: String = "prod", stdin: String = "") throws {
        let r = try h.keyrack(["set", "--for", "robot", "--key", key, "--env", env, "--org", "acme", "--vault", vault] + more, stdin: stdin, env: awsEnv())
        XCTAssertEqual(r.status, 0, "\(r)")
    }

    private func get(_ key: String) throws -> RunResult {
        try keyrack(["get", "--for", "robot", "--key", key, "--env", "prod", "--value"])
    }

    func testProfileCredentialsAreGrantedUntilTheyExpireAndWorkWithExec() throws {
        try set("AWS_PROFILE", "aws.config", ["--exid", "robot"])
        let unlocked = try keyrack(["unlock", "--for", "robot", "--env", "prod"])
        XCTAssertEqual(unlocked.status, 0, "\(unlocked)")
        XCTAssertTrue(unlocked.err.contains("note: acme.prod.AWS_PROFILE is capped to the credential's own expiry"), unlocked.err)
        XCTAssertFalse(unlocked.out.contains("secret-ASIA") || unlocked.err.contains("secret-ASIA"))

        let status = try ManifestHarness.json(try keyrack(["status", "--for", "robot", "--json"]))
        let grants = try XCTUnwrap(status["keys"] as? [[String: Any]])
        XCTAssertEqual(grants.compactMap { $0["key"] as? String }.sorted(), ["AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"])
        for g in grants {
            // The credential_process said 2400 s from now: the grant ends then, not in 9 h.
            let remaining = try XCTUnwrap(g["remainingSeconds"] as? Int)
            XCTAssertTrue((2300...2400).contains(remaining), "\(g)")
            XCTAssertEqual(g["vault"] as? String, "aws.config")
        }
        XCTAssertEqual(Set(grants.compactMap { $0["expiresAt"] as? String }).count, 1, "one expiry for the four: \(grants)")

        XCTAssertEqual(try get("AWS_ACCESS_KEY_ID").out, "ASIAROBOTTEMPORARY01", "temporary ASIA keys pass the firewall")
        XCTAssertEqual(try get("AWS_SECRET_ACCESS_KEY").out, "secret-ASIAROBOTTEMPORARY01")
        XCTAssertEqual(try get("AWS_SESSION_TOKEN").out, "session-ASIAROBOTTEMPORARY01")
        XCTAssertEqual(try get("AWS_PROFILE").out, "robot")

        // exec, as aws-vault exec: the real CLI takes the keys from its environment (this
        // config's profile has a region and no credentials of its own).
        try putSecureString("/acme/prod/x", "from-exec")
        let bare = h.machine.dir.file("bare-config")
        try Data("[profile robot]\nregion = eu-west-1\n".utf8).write(to: bare)
        let exec = try keyrack(["exec", "--for", "robot", "--env", "prod", "--", aws, "--endpoint-url", AWSVaultTests.moto!.endpoint,
                                "ssm", "get-parameter", "--name", "/acme/prod/x", "--with-decryption", "--query", "Parameter.Value", "--output", "text"],
                               ["AWS_CONFIG_FILE": bare.path, "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"])
        XCTAssertEqual(exec.status, 0, "\(exec)")
        XCTAssertEqual(exec.out, "from-exec\n")
        let env = try keyrack(["exec", "--for", "robot", "--env", "prod", "--", "/bin/sh", "-c", "printf '%s %s' \"$AWS_ACCESS_KEY_ID\" \"$AWS_SESSION_TOKEN\""])
        XCTAssertEqual(env.out, "ASIAROBOTTEMPORARY01 session-ASIAROBOTTEMPORARY01", "\(env)")

        try h.ok(["relock", "--for", "robot"])
        XCTAssertEqual(try get("AWS_SESSION_TOKEN").status, 3, "relock drops the credentials")
    }

    func testLongLivedKeysStayRefusedAndExpiredSSOSaysToLogIn() throws {
        try set("AWS_PROFILE", "aws.config", ["--exid", "static"])
        try keyrack(["unlock", "--for", "robot", "--env", "prod"])
        let refused = try get("AWS_ACCESS_KEY_ID")
        XCTAssertEqual(refused.status, 3, "\(refused)")
        XCTAssertTrue(refused.err.contains("looks like a long-lived AWS access key (AKIA…)"), refused.err)
        XCTAssertEqual(refused.out, "")

        try set("AWS_PROFILE", "aws.config", ["--exid", "ssobot"])
        let cache = h.machine.home.appendingPathComponent(".aws/sso/cache")
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        // The CLI's token cache file for sso-session "corp" (SHA-1 of the session name), expired.
        try Data(#"{"startUrl":"https://corp.awsapps.com/start","region":"eu-west-1","accessToken":"expired","expiresAt":"2020-01-01T00:00:00Z"}"#.utf8)
            .write(to: cache.appendingPathComponent("ee0bfd2552fbd840c02cc48b6e823320543c450f.json"))
        let sso = try keyrack(["unlock", "--for", "robot", "--env", "prod"])
        XCTAssertEqual(sso.status, 3, "\(sso)")
        XCTAssertTrue(sso.err.contains("warning: acme.prod.AWS_PROFILE stays locked: the AWS SSO session of profile ssobot has expired or was never started: run `aws sso login --profile ssobot`"), sso.err)
        try set("AWS_PROFILE", "aws.config", ["--exid", "expired"])
        let expired = try keyrack(["unlock", "--for", "robot", "--env", "prod"])
        XCTAssertTrue(expired.err.contains("the AWS credentials of profile expired have expired"), expired.err)
        try set("AWS_PROFILE", "aws.config", ["--exid", "nosuch"])
        let unknown = try keyrack(["unlock", "--for", "robot", "--env", "prod"])
        XCTAssertTrue(unknown.err.contains("AWS profile nosuch is not in the AWS config"), unknown.err)
    }

    func testAMissingOrTooOldAWSCLIIsNamedAndDoctorSaysHowToInstallIt() throws {
        try set("AWS_PROFILE", "aws.config", ["--exid", "robot"])
        let empty = h.machine.dir.file("empty-bin")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let missing = try keyrack(["unlock", "--for", "robot", "--env", "prod"], ["PATH": empty.path])
        XCTAssertEqual(missing.status, 3, "\(missing)")
        XCTAssertTrue(missing.err.contains("the AWS CLI `aws` is not on PATH: install the AWS CLI v2 (Debian 12: apt install awscli"), missing.err)

        // Only the version line of an AWS CLI v1 (what `pip install awscli` puts on PATH): keyrack
        // must pass it over and say so; nothing else of the v1 CLI is needed to show that.
        let old = h.machine.dir.file("old-bin")
        try FileManager.default.createDirectory(at: old, withIntermediateDirectories: true)
        try Data("#!/bin/sh\necho 'aws-cli/1.18.69 Python/3.8.10 Linux/5.4.0 botocore/1.17.0'\n".utf8).write(to: old.appendingPathComponent("aws"))
        chmod(old.appendingPathComponent("aws").path, 0o755)
        let tooOld = try keyrack(["unlock", "--for", "robot", "--env", "prod"], ["PATH": old.path])
        XCTAssertTrue(tooOld.err.contains("keyrack needs the AWS CLI v2 (2.9 or newer) and found only \(old.path)/aws (aws-cli/1.18.69)"), tooOld.err)
        // The same v1 first on PATH, the real v2 after it: keyrack takes the v2.
        let both = try keyrack(["unlock", "--for", "robot", "--env", "prod"], ["PATH": old.path + ":" + URL(fileURLWithPath: aws).deletingLastPathComponent().path])
        XCTAssertEqual(both.status, 0, "\(both)")

        let doctor = try keyrack(["doctor", "--for", "robot", "--json"], ["PATH": empty.path])
        let checks = try XCTUnwrap(try ManifestHarness.json(doctor)["checks"] as? [[String: Any]])
        let awsCheck = try XCTUnwrap(checks.first { $0["name"] as? String == "aws" }, "\(checks)")
        XCTAssertEqual(awsCheck["status"] as? String, "fail")
        XCTAssertTrue((awsCheck["fix"] as? String)?.contains("apt install awscli") == true, "\(awsCheck)")
        let fine = try keyrack(["doctor", "--for", "robot", "--json"])
        let fineAWS = try XCTUnwrap((try ManifestHarness.json(fine)["checks"] as? [[String: Any]])?.first { $0["name"] as? String == "aws" })
        XCTAssertEqual(fineAWS["status"] as? String, "pass", "\(fineAWS)")
    }
}
