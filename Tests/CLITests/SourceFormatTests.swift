import Foundation
import TestSupport
import XCTest

/// `keyrack source --format`: each language gives back every byte of every value when its own
/// reader reads it (the real fish; the GitHub runner's file syntax; keyrack's own env-file
/// reader for dotenv), and no value becomes code.
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

    func testFishReadsBackEveryByteAndExportsIt() throws {
        let script = try h.machine.dir.write("vars.fish", try source("fish").stdout)
        // `set -gx` exports: a child process sees the values too.
        let fish = try Run.process("/usr/bin/fish", ["--no-config", "-c", "source $argv[1]; printf '%s|' $PLAIN; /bin/sh -c 'printf %s \"$TRICKY\"'", script.path])
        XCTAssertEqual(fish.status, 0, "\(fish)")
        XCTAssertEqual(fish.out, "plain value|" + tricky, "\(fish)")
    }

    func testDotenvQuotesOnlyWhatNeedsIt() throws {
        let lines = try source("dotenv").out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines, ["PLAIN='plain value'", #"TRICKY="it's \"quoted\" $HOME `x` \\ 100% \n second line"# + "\t!\""])
    }

    func testJSONRefusesBytesThatAreNotTextByName() throws {
        var env = h.machine.environment
        env["XDG_RUNTIME_DIR"] = h.runtime.path
        let set = try Run.keyrack(["set", "--for", "bot", "--key", "BIN", "--env", "prod", "--org", "acme", "--vault", "os.secure"],
                                  stdin: [0xff, 0xfe, 0x41], environment: env, currentDirectory: h.machine.dir.url)
        XCTAssertEqual(set.status, 0, "\(set)")
        try h.ok(["unlock", "--for", "bot", "--env", "prod"])
        for format in ["json", "github-actions"] {
            let r = try h.keyrack(["source", "--for", "bot", "--env", "prod", "--format", format], env: ["GITHUB_ENV": h.machine.dir.file("gh").path])
            XCTAssertEqual(r.status, 1, "\(r)")
            XCTAssertEqual(r.out, "")
            XCTAssertTrue(r.err.contains("BIN is not UTF-8"), r.err)
        }
        // sh carries any byte but NUL.
        XCTAssertEqual(try h.ok(["source", "--for", "bot", "--env", "prod"]).stdout, Array("export BIN='".utf8) + [0xff, 0xfe, 0x41] + Array("'\n".utf8))
    }

    func testGitHubActionsMasksEveryLineAndAppendsToGitHubEnv() throws {
        let envFile = try h.machine.dir.write("github_env", Array("EARLIER=kept\n".utf8))
        let r = try source("github-actions", env: ["GITHUB_ENV": envFile.path])
        // Masks first, one per line of each value, with the workflow-command escapes.
        XCTAssertEqual(r.out.split(separator: "\n").map(String.init),
                       ["::add-mask::plain value", "::add-mask::it's \"quoted\" $HOME `x` \\ 100%25 ", "::add-mask:: second line\t!"])
        XCTAssertTrue(r.err.contains("2 variable(s) masked and appended to $GITHUB_ENV"), r.err)
        let appended = String(decoding: try h.machine.dir.read("github_env"), as: UTF8.self)
        XCTAssertEqual(Self.parseGitHubEnv(appended), ["EARLIER": "kept", "PLAIN": "plain value", "TRICKY": tricky])
        XCTAssertTrue(appended.contains("PLAIN=plain value\n"), appended)
        XCTAssertTrue(appended.contains("TRICKY<<ghadelimiter_"), "a multi-line value uses the heredoc form: \(appended)")

        // Outside a job: refused before anything is printed.
        let outside = try h.keyrack(["source", "--for", "bot", "--env", "test", "--format", "github-actions"], env: ["GITHUB_ENV": nil])
        XCTAssertEqual(outside.status, 2, "\(outside)")
        XCTAssertEqual(outside.out, "")
        XCTAssertTrue(outside.err.contains("$GITHUB_ENV"), outside.err)
    }

    /// The runner's reading of $GITHUB_ENV (actions/runner SetEnvFileCommand): `NAME=value`
    /// lines, or `NAME<<DELIM`, the value's lines, and `DELIM` alone on a line.
    static func parseGitHubEnv(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        var lines = text.components(separatedBy: "\n")[...]
        while let line = lines.popFirst() {
            if line.isEmpty { continue }
            let eq = line.firstIndex(of: "="), heredoc = line.range(of: "<<")
            if let eq, heredoc.map({ eq < $0.lowerBound }) ?? true {
                result[String(line[..<eq])] = String(line[line.index(after: eq)...])
            } else if let heredoc {
                let delimiter = String(line[heredoc.upperBound...])
                var value: [String] = []
                while let next = lines.popFirst(), next != delimiter { value.append(next) }
                result[String(line[..<heredoc.lowerBound])] = value.joined(separator: "\n")
            }
        }
        return result
    }
}
