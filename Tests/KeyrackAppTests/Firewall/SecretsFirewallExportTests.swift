import Foundation
import KeyrackApp
import KeyrackClient
import TestSupport
import XCTest

/// `firewall --into github.actions|json`: what reaches the job, from the attempts the use case
/// made (the granted values masked and appended to $GITHUB_ENV; the JSON objects, a value only
/// for a granted secret), and nothing of a blocked one anywhere.
final class SecretsFirewallExportTests: XCTestCase {
    private var dir: TempDirectory!
    private let pat = "ghp_" + String(repeating: "A1b2", count: 9)

    override func setUpWithError() throws {
        dir = try TempDirectory("keyrack-firewall-export")
        let repo = dir.file("repo")
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".agent"), withIntermediateDirectories: true)
        try Data("org: acme\nenv.test:\n  - API\n  - TOKEN\n  - MULTI\n  - MISSING\n".utf8).write(to: repo.appendingPathComponent(".agent/keyrack.yml"))
    }

    override func tearDown() { dir.remove() }

    private func attempts(_ token: String) throws -> [SecretsFirewall.Attempt] {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: ["API": "v-api", "TOKEN": token, "MULTI": "line1\nline2", "UNLISTED": "v-unlisted"],
                                                               options: .sortedKeys), as: UTF8.self)
        return try SecretsFirewall.run(from: .environment("SECRETS"), env: "test", allowDangerous: false, directory: dir.file("repo"), environment: ["SECRETS": json])
    }

    func testGitHubActionsGetsTheGrantedValuesMaskedAndInItsEnvFile() throws {
        let githubEnv = try dir.write("github_env", [])
        var stdout: [UInt8] = []
        let counts = try SecretsFirewall.exportToGitHubActions(try attempts(pat), githubEnv: githubEnv.path) { stdout += $0 }
        XCTAssertEqual([counts.granted, counts.blocked, counts.absent], [2, 1, 1])
        XCTAssertEqual(String(decoding: stdout, as: UTF8.self), "::add-mask::v-api\n::add-mask::line1\n::add-mask::line2\n")
        let appended = try String(contentsOf: githubEnv, encoding: .utf8)
        let lines = appended.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.first, "API=v-api")
        XCTAssertTrue(lines[1].hasPrefix("MULTI<<ghadelimiter_"), appended)
        XCTAssertEqual(Array(lines[2...4]), ["line1", "line2", String(lines[1].dropFirst("MULTI<<".count))], appended)
        XCTAssertFalse(appended.contains(pat) || appended.contains("v-unlisted"), appended)
    }

    func testTheJSONAnswerCarriesAValueOnlyForAGrantedSecret() throws {
        let answer = try attempts(pat).map(FirewallAttemptJSON.init)
        XCTAssertEqual(answer.map { "\($0.slug) \($0.status)" }, ["acme.test.API granted", "acme.test.TOKEN blocked", "acme.test.MULTI granted", "acme.test.MISSING absent"])
        XCTAssertEqual(JSONLine.encode(answer[0]), #"{"slug":"acme.test.API","status":"granted","reason":null,"value":"v-api"}"#)
        XCTAssertNil(answer[1].value, "a blocked value is never in the answer")
        XCTAssertTrue(answer[1].reason?.contains("a long-lived token") == true, "\(answer[1])")
        XCTAssertEqual(JSONLine.encode(answer[3]), #"{"slug":"acme.test.MISSING","status":"absent","reason":null,"value":null}"#)
        XCTAssertEqual(try attempts("short-lived").map(FirewallAttemptJSON.init).map(\.status), ["granted", "granted", "granted", "absent"])
    }

    func testTheSourceIsAJSONObjectFromAVariableOrStdin() throws {
        XCTAssertEqual(try SecretsFirewall.Source(parsing: "json(env://SECRETS)"), .environment("SECRETS"))
        XCTAssertEqual(try SecretsFirewall.Source(parsing: "json(stdin://*)"), .stdin)
        for bad in ["yaml(env://X)", "json(env://)", "json(stdin://x)", "env://X"] {
            XCTAssertThrowsError(try SecretsFirewall.Source(parsing: bad), bad) { XCTAssertEqual($0 as? SecretsFirewall.Failure, .badSource(bad)) }
        }
    }
}
