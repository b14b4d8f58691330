import Foundation
import TestSupport
import XCTest

/// `keyrack exec --proxy` with the real AWS CLI v2 against moto's server (issue 27): the CLI signs
/// with the placeholder pair, the proxy re-signs with the real one, and moto, with its IAM checks
/// on, verifies that signature against the keys it issued itself.
final class KeycardProxyMotoTests: XCTestCase {
    private var h: DaemonHarness!
    private var moto: MotoServer!

    /// The set-up's unauthenticated calls (create-role, put-role-policy, put-parameter,
    /// assume-role); every request after them has its SigV4 signature checked by moto.
    private static let setupCalls = 4

    override func setUpWithError() throws {
        h = try DaemonHarness()
        moto = try MotoServer(log: h.machine.dir.file("moto.log").path,
                              environment: ["INITIAL_NO_AUTH_ACTION_COUNT": String(Self.setupCalls)])
    }

    override func tearDown() {
        moto?.stop()
        h?.tearDown()
    }

    /// Debian's CLI (2.9) predates AWS_ENDPOINT_URL, so every call also names moto with --endpoint-url.
    private func awsEnv(_ extra: [String: String?]) -> [String: String?] {
        var e: [String: String?] = ["AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_PROFILE": nil,
                                    "AWS_DEFAULT_PROFILE": nil, "AWS_ENDPOINT_URL": moto.endpoint, "AWS_REGION": "us-east-1",
                                    "AWS_DEFAULT_REGION": nil, "AWS_PAGER": "", "AWS_ACCESS_KEY_ID": nil, "AWS_SECRET_ACCESS_KEY": nil,
                                    "AWS_SESSION_TOKEN": nil, "KEYRACK_AWS_CLI": nil, "NO_PROXY": nil, "no_proxy": nil,
                                    "HTTP_PROXY": nil, "http_proxy": nil, "HTTPS_PROXY": nil, "https_proxy": nil]
        for (k, v) in extra { e[k] = v }
        return e
    }

    func testAWSCLIThroughTheProxyIsAcceptedByMotoVerifyingSignatures() throws {
        let aws = try CloudServers.awsCLI()
        let setup = awsEnv(["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"])
        func setupCall(_ args: [String]) throws -> String {
            let r = try Run.process(aws, ["--endpoint-url", moto.endpoint] + args, environment: setup)
            XCTAssertEqual(r.status, 0, "aws \(args.joined(separator: " "))\n\(r)")
            return r.out
        }
        // Moto's own temporary keys (assume-role), so it knows the secret and the session token.
        let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#
        let allow = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}"#
        _ = try setupCall(["iam", "create-role", "--role-name", "keycard-role", "--assume-role-policy-document", trust])
        _ = try setupCall(["iam", "put-role-policy", "--role-name", "keycard-role", "--policy-name", "read", "--policy-document", allow])
        let parameter = "param-" + freshToken(8)
        _ = try setupCall(["ssm", "put-parameter", "--name", "/keycard/db", "--type", "String", "--value", parameter])
        let assumed = try setupCall(["sts", "assume-role", "--role-arn", "arn:aws:iam::123456789012:role/keycard-role",
                                     "--role-session-name", "keycard", "--query", "Credentials", "--output", "json"])
        let creds = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(assumed.utf8)) as? [String: Any], assumed)
        let keyID = try XCTUnwrap(creds["AccessKeyId"] as? String)
        let secret = try XCTUnwrap(creds["SecretAccessKey"] as? String)
        let token = try XCTUnwrap(creds["SessionToken"] as? String)

        // The control: moto does check signatures now. The right key id and token with a wrong
        // secret are refused.
        let forged = try Run.process(aws, ["--endpoint-url", moto.endpoint, "sts", "get-caller-identity"], environment: awsEnv([
            "AWS_ACCESS_KEY_ID": keyID, "AWS_SECRET_ACCESS_KEY": String(secret.reversed()), "AWS_SESSION_TOKEN": token]))
        XCTAssertNotEqual(forged.status, 0, "\(forged)")
        XCTAssertTrue(forged.err.contains("SignatureDoesNotMatch"), forged.err)

        let destination = "127.0.0.1:\(moto.port)"
        let keys = [("AWS_ACCESS_KEY_ID", keyID), ("AWS_SECRET_ACCESS_KEY", secret), ("AWS_SESSION_TOKEN", token)]
        try h.unlockedOwner("robot", keys, sendTo: [destination])
        let envFile = h.machine.dir.file("env.txt")
        let script = #"""
        set -eu
        env > "$ENV_OUT"
        "$AWS" --endpoint-url "$MOTO" sts get-caller-identity --output json
        "$AWS" --endpoint-url "$MOTO" ssm get-parameter --name /keycard/db --query Parameter.Value --output text
        """#
        let run = try h.keyrack(["exec", "--for", "robot", "--env", "test", "--key", "AWS_ACCESS_KEY_ID", "--key", "AWS_SECRET_ACCESS_KEY",
                                 "--key", "AWS_SESSION_TOKEN", "--proxy", "--", "/bin/bash", "-c", script],
                                env: awsEnv(["AWS": aws, "MOTO": moto.endpoint, "ENV_OUT": envFile.path]))
        XCTAssertEqual(run.status, 0, "\(run)\n\((try? String(contentsOf: h.machine.dir.file("moto.log"), encoding: .utf8)) ?? "")")
        XCTAssertTrue(run.out.contains("assumed-role/keycard-role/keycard"), run.out)
        XCTAssertTrue(run.out.hasSuffix("\(parameter)\n"), run.out)

        // The program held placeholders of the same shape, never a value.
        let environ = try String(contentsOf: envFile, encoding: .utf8)
        let env = environmentLines(environ)
        for (name, value) in keys {
            XCTAssertFalse(environ.contains(value), "\(name)'s value in the program's environment")
            let placeholder = try XCTUnwrap(env[name], name)
            XCTAssertNotEqual(placeholder, value, name)
            XCTAssertEqual(placeholder.count, value.count, name)
        }
        XCTAssertTrue(env["AWS_ACCESS_KEY_ID"]?.hasPrefix(String(keyID.prefix(4))) == true, env["AWS_ACCESS_KEY_ID"] ?? "")
        XCTAssertFalse(run.out.contains(secret) || run.err.contains(secret) || run.err.contains(token))
    }
}
