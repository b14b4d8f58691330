import Foundation
@testable import KeyrackApp
import KeyrackClient
import KeyrackCore
import TestSupport
import XCTest
import KeyrackNames

/// aws.params (SSM SecureStrings) in-process: `unlock` with the real AWS CLI v2 against moto's
/// server (TestSupport's MotoServer), a fake daemon receiving the grants, the environment given
/// to the use case. Profiles get temporary credentials from a `credential_process`. A key that
/// stays locked is an UnlockEvent whose reason is the CLI's `warning: SLUG stays locked: WHY`.
final class AWSParamsUnlockTests: XCTestCase {
    private static var moto: MotoServer?
    private var bench: UnlockBench!
    private var owner: OwnerName!
    private var aws: String!
    private var config: URL { bench.dir.file(".aws/config") }

    override class func setUp() {
        super.setUp()
        moto = try? MotoServer(log: NSTemporaryDirectory() + "/moto-app-\(getpid()).log")
    }

    override class func tearDown() {
        moto?.stop()
        moto = nil
        super.tearDown()
    }

    override func setUpWithError() throws {
        guard Self.moto != nil else { throw NSError(domain: "AWSParamsUnlockTests", code: 1, userInfo: [NSLocalizedDescriptionKey: "moto_server did not start: run scripts/install-deps"]) }
        aws = try CloudServers.awsCLI()
        bench = try UnlockBench("keyrack-aws-unlock")
        owner = try bench.owner("robot")
        try FileManager.default.createDirectory(at: config.deletingLastPathComponent(), withIntermediateDirectories: true)
        // Emits temporary credentials expiring OFFSET seconds from now, as a credential_process must.
        let process = try bench.dir.write("credential-process", Array("""
        #!/bin/sh
        exp=$(date -u -d "@$(( $(date +%s) + $1 ))" +%Y-%m-%dT%H:%M:%SZ)
        printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"secret-%s","SessionToken":"session-%s","Expiration":"%s"}\\n' "$2" "$2" "$2" "$exp"

        """.utf8), mode: 0o755)
        try Data("""
        [profile robot]
        credential_process = \(process.path) 2400 ASIAROBOTTEMPORARY01
        region = eu-west-1
        [profile expired]
        credential_process = \(process.path) -60 ASIAROBOTEXPIRED0001
        region = eu-west-1

        """.utf8).write(to: config)
    }

    override func tearDown() { bench?.remove() }

    /// This test's config, moto's endpoint, no AWS setting inherited.
    private func awsEnv(_ extra: [String: String] = [:]) -> [String: String] {
        var e = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") && $0.key != "KEYRACK_AWS_CLI" }
        e["HOME"] = bench.dir.path
        e["AWS_CONFIG_FILE"] = config.path
        e["AWS_SHARED_CREDENTIALS_FILE"] = bench.dir.file(".aws/credentials").path
        e["AWS_ENDPOINT_URL"] = Self.moto!.endpoint
        e["AWS_PAGER"] = ""
        for (k, v) in extra { e[k] = v }
        return e
    }

    private let envCredentials = ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"]

    /// Writes a SecureString with the real CLI.
    private func putSecureString(_ name: String, _ value: String) throws {
        let r = try Run.process(aws, ["--endpoint-url", Self.moto!.endpoint, "--region", "eu-west-1", "ssm", "put-parameter",
                                      "--name", name, "--type", "SecureString", "--value", value],
                                environment: awsEnv(envCredentials).mapValues { Optional($0) })
        XCTAssertEqual(r.status, 0, "\(r)")
    }

    @discardableResult
    private func set(_ key: String, _ vault: Vault, exid: String? = nil, region: String? = nil, env: String = "prod", value: String? = nil) throws -> KeyEntry {
        try bench.set(owner, "acme.\(env).\(key)", vault, exid: exid, value: value, options: region.map { [KeyOptions.region: $0] } ?? [:])
    }

    @discardableResult
    private func unlock(_ environment: [String: String], key: String? = nil) throws -> UnlockResult {
        try bench.unlock(owner, env: "prod", key: key, environment: environment)
    }

    private func granted(_ key: String) -> String? { bench.granted("acme.prod.\(key)") }

    func testSecureStringsAreReadWithTheCallersOrTheOrgsProfileCredentials() throws {
        let value = "p@ss word \(freshToken())\nsecond line"
        try putSecureString("/acme/prod/db-password", value)
        try putSecureString("/acme/prod/api-key", "api-" + freshToken())
        let entry = try set("DB_PASSWORD", .awsParams, exid: "/acme/prod/db-password", region: "eu-west-1")
        XCTAssertEqual(entry.vault, .awsParams)
        XCTAssertEqual(entry.mech.rawValue, "PERMANENT_VIA_REFERENCE")

        // Credentials from the caller's environment.
        try unlock(awsEnv(envCredentials))
        XCTAssertEqual(granted("DB_PASSWORD"), value, "every byte of the SecureString, newline included")
        XCTAssertEqual(bench.daemon.granted.last?.vault, "aws.params")

        // No credentials and no region in the environment: an AWS_PROFILE key of the org names
        // the profile, whose credential_process and region the CLI then uses.
        try set("API_KEY", .awsParams, exid: "/acme/prod/api-key")
        XCTAssertThrowsError(try unlock(awsEnv(), key: "API_KEY")) { error in
            XCTAssertEqual((error as? CLIReportable)?.exitCode, 3, "\(error)")
        }
        try set("AWS_PROFILE", .osDirect, env: "all", value: "robot")
        bench.daemon = FakeDaemon()
        try unlock(awsEnv())
        XCTAssertTrue(granted("API_KEY")?.hasPrefix("api-") == true, "\(bench.daemon.granted.map(\.slug))")
        XCTAssertEqual(granted("DB_PASSWORD"), value)
    }

    func testMissingParameterNoRegionNoCredentialsAndExpiredCredentialsAreToldApart() throws {
        try putSecureString("/acme/prod/present", "v")
        try set("MISSING", .awsParams, exid: "/acme/prod/absent", region: "eu-west-1")
        try set("NOREGION", .awsParams, exid: "/acme/prod/present")
        try set("PRESENT", .awsParams, exid: "/acme/prod/present", region: "eu-west-1")
        func reason(_ key: String, _ extra: [String: String]) -> String {
            bench.events = []
            XCTAssertThrowsError(try unlock(awsEnv(extra), key: key)) { error in
                XCTAssertEqual((error as? CLIReportable)?.exitCode, 3, "\(error)")
            }
            return bench.locked["acme.prod.\(key)"] ?? "\(bench.events)"
        }
        // The settings to check and the region to store are typed remedies the CLI words with
        // its options (CLITests.AWSParamsTests); the problem names none.
        XCTAssertTrue(reason("MISSING", envCredentials).hasPrefix("SSM parameter /acme/prod/absent was not found in eu-west-1 (aws ssm get-parameter --name /acme/prod/absent)"))
        XCTAssertEqual(bench.lockedReasons["acme.prod.MISSING"]?.remedy, .check([.exid, .region]))
        XCTAssertEqual(reason("NOREGION", envCredentials), "SSM parameter /acme/prod/present: no AWS region: store a region with the key, or set AWS_REGION or the profile's region")
        XCTAssertEqual(bench.lockedReasons["acme.prod.NOREGION"], LockedReason("SSM parameter /acme/prod/present: no AWS region", remedy: .giveRegion))
        XCTAssertTrue(reason("PRESENT", [:]).hasPrefix("SSM parameter /acme/prod/present: no AWS credentials: set AWS_PROFILE"))
        XCTAssertTrue(reason("PRESENT", ["AWS_PROFILE": "expired"]).hasPrefix("SSM parameter /acme/prod/present: the AWS credentials have expired: refresh them"))
        try set("AWS_PROFILE", .osDirect, value: "expired")
        let expired = reason("PRESENT", envCredentials)
        XCTAssertTrue(expired.contains("the AWS credentials of profile expired have expired: refresh them (for SSO: aws sso login --profile expired)"), expired)
        XCTAssertTrue(bench.daemon.log.isEmpty, "nothing granted, no daemon started")
    }
}
