import Foundation
import KeyrackApp
import TestSupport
import XCTest

/// `firewall --from`'s input as the use case reads it: the JSON object from a variable or
/// stdin, checked against the repository file's list for the env.
final class SecretsFirewallInputTests: XCTestCase {
    private var dir: TempDirectory!
    private var repo: URL!

    override func setUpWithError() throws {
        dir = try TempDirectory("keyrack-firewall")
        repo = dir.file("repo")
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".agent"), withIntermediateDirectories: true)
        try Data("org: acme\nenv.test:\n  - API\n  - TOKEN\n  - MISSING\n".utf8).write(to: repo.appendingPathComponent(".agent/keyrack.yml"))
    }

    override func tearDown() { dir.remove() }

    private let pat = "ghp_" + String(repeating: "A1b2", count: 9)

    func testAVariablesSecretsPassAsListedAndALongLivedTokenIsBlocked() throws {
        let json = "{\"API\":\"v-api\",\"TOKEN\":\"\(pat)\",\"UNLISTED\":\"x\"}"
        let attempts = try SecretsFirewall.run(from: .environment("SECRETS"), env: "test", allowDangerous: false, directory: repo,
                                               environment: ["SECRETS": json], stdin: { XCTFail("stdin read"); return [] })
        XCTAssertEqual(attempts.map { "\($0.slug) \($0.status.rawValue)" }, ["acme.test.API granted", "acme.test.TOKEN blocked", "acme.test.MISSING absent"])
        XCTAssertEqual(attempts[0].value, Array("v-api".utf8))
        XCTAssertEqual(attempts[1].value, [], "a blocked value is not kept")
        XCTAssertTrue(attempts[1].reason?.contains("a long-lived token") == true, "\(attempts[1])")
        let allowed = try SecretsFirewall.run(from: .environment("S"), env: "test", allowDangerous: true, directory: repo, environment: ["S": json])
        XCTAssertEqual(allowed[1].status, .granted)
    }

    func testStdinIsReadForStdinOnly() throws {
        var reads = 0
        let attempts = try SecretsFirewall.run(from: .stdin, env: "test", allowDangerous: false, directory: repo, environment: [:],
                                               stdin: { reads += 1; return Array("{\"API\":\"a\"}".utf8) })
        XCTAssertEqual(reads, 1)
        XCTAssertEqual(attempts.first?.status, .granted)
    }

    func testAnUnsetVariableIsSaidBeforeAMissingRepositoryFileAndNonJSONIsRefused() throws {
        let outside = dir.file("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        XCTAssertThrowsError(try SecretsFirewall.run(from: .environment("NOPE"), env: "test", allowDangerous: false, directory: outside, environment: [:])) {
            XCTAssertEqual($0 as? SecretsFirewall.Failure, .unsetVariable("NOPE"))
        }
        XCTAssertThrowsError(try SecretsFirewall.run(from: .environment("S"), env: "test", allowDangerous: false, directory: outside, environment: ["S": "{}"])) {
            XCTAssertEqual($0 as? SecretsFirewall.Failure, .noRepositoryFile)
        }
        XCTAssertThrowsError(try SecretsFirewall.run(from: .environment("S"), env: "test", allowDangerous: false, directory: repo, environment: ["S": "[1]"])) {
            XCTAssertEqual($0 as? SecretsFirewall.Failure, .notJSON("not an object"))
        }
    }
}
