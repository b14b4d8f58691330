import Foundation
import TestSupport
import XCTest

/// `keyrack source --format` end to end: values from a daemon, masks on stdout, the variables
/// appended to $GITHUB_ENV, and the refusal outside a job. What each language gives back to its
/// reader (fish, dash, bash, python-dotenv, EnvFile) is KeyrackAppTests.SourceFormatTests'.
final class SourceFormatTests: XCTestCase {
    private var h: DaemonHarness!
    private let tricky = "it's \"quoted\" $HOME `x` \\ 100% \n second line\t!"

    override func setUpWithError() throws {
        h = try DaemonHarness()
        try h.sshOwner("bot")
        try h.ok(["set", "--for", "bot", "--key", "TRICKY", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: tricky)
        try h.ok(["set", "--for", "bot", "--key", "PLAIN", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "plain value")
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
    }

    override func tearDown() { h.tearDown() }

    private func source(_ format: String, env: [String: String?] = [:]) throws -> RunResult {
        try h.ok(["source", "--for", "bot", "--env", "test", "--format", format], env: env)
    }

    func testGitHubActionsMasksEveryLineAndAppendsToGitHubEnv() throws {
        let envFile = try h.machine.dir.write("github_env", Array("EARLIER=kept\n".utf8))
        let r = try source("github-actions", env: ["GITHUB_ENV": envFile.path])
        // Masks first, one per line of each value, with the workflow-command escapes.
        XCTAssertEqual(r.out.split(separator: "\n").map(String.init),
                       ["::add-mask::plain value", "::add-mask::it's \"quoted\" $HOME `x` \\ 100%25 ", "::add-mask:: second line\t!"])
        XCTAssertTrue(r.err.contains("2 variable(s) masked and appended to $GITHUB_ENV"), r.err)
        let appended = String(decoding: try h.machine.dir.read("github_env"), as: UTF8.self)
        XCTAssertTrue(appended.hasPrefix("EARLIER=kept\nPLAIN=plain value\n"), appended)
        XCTAssertTrue(appended.contains("TRICKY<<ghadelimiter_"), "a multi-line value uses the heredoc form: \(appended)")

        // Outside a job: refused before anything is printed.
        let outside = try h.keyrack(["source", "--for", "bot", "--env", "test", "--format", "github-actions"], env: ["GITHUB_ENV": nil])
        XCTAssertEqual(outside.status, 2, "\(outside)")
        XCTAssertEqual(outside.out, "")
        XCTAssertEqual(outside.err, "error: the github-actions format appends to $GITHUB_ENV, which is not set: use it in a GitHub Actions step, or choose another --format\n")
    }
}
