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

    /// Sets each value under its name in env `dot` of org acme and unlocks that env.
    private func grant(_ values: [(String, String)], env: String = "dot") throws {
        for (name, value) in values {
            try h.ok(["set", "--for", "bot", "--key", name, "--env", env, "--org", "acme", "--vault", "os.secure"], stdin: value)
        }
        try h.ok(["unlock", "--for", "bot", "--env", env])
    }

    func testDotenvQuotesOnlyWhatNeedsIt() throws {
        // Bare when nothing in it is special anywhere (docker's --env-file reads those exactly
        // too), '…' when it holds no ' or \, else "…" with \\ and \" (and real newlines).
        try grant([("BARE", "tok_Ab9/+=:.,@%-x"), ("SPACED", "a b $HOME `x`"), ("QUOTED", "it's \\ \"q\"\nline")])
        let lines = try h.ok(["source", "--for", "bot", "--env", "dot", "--format", "dotenv"]).out
        XCTAssertEqual(Set(lines.components(separatedBy: "\n")),
                       ["BARE=tok_Ab9/+=:.,@%-x", "SPACED='a b $HOME `x`'", "QUOTED=\"it's \\\\ \\\"q\\\"", "line\"", ""])
    }

    /// The hostile values of issue 24: each comes back byte for byte from dash, bash, python-dotenv
    /// (interpolation on, as load_dotenv does) and exec --env-file, and none runs a command; the
    /// values no spelling carries to all of them are refused by name, with nothing printed.
    func testDotenvHostileValuesReadBackExactlyByEveryReaderAndRunNothing() throws {
        let pwned = h.machine.dir.file("pwned")
        let hostile: [(String, String)] = [
            ("SUBST", "$(touch \(pwned.path))"),
            ("BACKTICK", "`touch \(pwned.path)`"),
            ("DOLLAR", "$HOME and $1 and $$"),
            ("NEWLINES", "line1\nNEXT=x # not a comment\n'quoted' line\nend"),
            ("BACKSLASH", "a\\b\\\\c \\n \\"),
            ("TRAILING", "  spaces around  "),
            ("HASH", "#start and a #comment"),
            ("QUOTES", "it's \"both\" 'kinds'"),
            ("UNICODE", "nbsp\u{a0}é\u{feff}"),
        ]
        try grant(hostile)
        let dotenv = try h.ok(["source", "--for", "bot", "--env", "dot", "--format", "dotenv"])
        let file = try h.machine.dir.write("hostile.env", dotenv.stdout)
        let want = Dictionary(uniqueKeysWithValues: hostile.map { ($0.0, $0.1) })

        func vars(_ r: RunResult, _ reader: String) -> [String: String] {
            XCTAssertEqual(r.status, 0, "\(reader): \(r)")
            XCTAssertEqual(r.err, "", "\(reader) warns about no line")
            var got: [String: String] = [:]
            for field in r.stdout.split(separator: 0, omittingEmptySubsequences: true) {
                let text = String(decoding: field, as: UTF8.self)
                guard let eq = text.firstIndex(of: "=") else { continue }
                let name = String(text[..<eq])
                if want[name] != nil { got[name] = String(text[text.index(after: eq)...]) }
            }
            return got
        }
        let readers: [(String, RunResult)] = [
            ("dash", try Run.process("/bin/sh", ["-c", "set -a; . \"$1\"; env -0", "sh", file.path])),
            ("bash", try Run.process("/bin/bash", ["--norc", "--noprofile", "-c", "set -a; . \"$1\"; env -0", "bash", file.path])),
            ("python-dotenv", try Run.process(Self.python, ["-c", """
                import sys, dotenv
                values = dotenv.dotenv_values(sys.argv[1])
                sys.stdout.buffer.write(b"".join(k.encode() + b"=" + v.encode() + b"\\0" for k, v in values.items()))
                """, file.path])),
            ("exec --env-file", try h.keyrack(["exec", "--for", "bot", "--env-file", file.path, "--", "/usr/bin/env", "-0"])),
        ]
        for (reader, r) in readers {
            XCTAssertEqual(vars(r, reader), want, reader)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: pwned.path), "a reader ran a command from a value")

        // No dotenv spelling is safe for these: refused, each by name, and nothing printed.
        let refused: [(String, String, String)] = [
            ("QUOTE_SUBST", "x'$(touch \(pwned.path))", "both a ' or \\ and a $ or backtick"),
            ("SLASH_TICK", "a\\`touch \(pwned.path)`", "both a ' or \\ and a $ or backtick"),
            ("BRACED", "${HOME}", "${…}, which python-dotenv expands"),
            ("CR", "a\rb", "a carriage return"),
        ]
        for (index, (name, value, why)) in refused.enumerated() {
            try grant([(name, value)], env: "bad\(index)")
            let r = try h.keyrack(["source", "--for", "bot", "--env", "bad\(index)", "--format", "dotenv"])
            XCTAssertEqual(r.status, 1, "\(name): \(r)")
            XCTAssertEqual(r.out, "", name)
            XCTAssertTrue(r.err.contains("the value of \(name) holds \(why)"), r.err)
            XCTAssertTrue(r.err.contains("--format sh"), r.err)
            XCTAssertFalse(r.err.contains(value), "the error names the variable, not its value")
            // sh carries it, quoted its own way, as ever.
            let sh = try h.ok(["source", "--for", "bot", "--env", "bad\(index)"]).stdout
            let back = try Run.process("/bin/sh", ["-c", "eval \"$1\"; printf %s \"$\(name)\"", "sh", String(decoding: sh, as: UTF8.self)])
            XCTAssertEqual(back.out, value, name)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: pwned.path))
    }

    /// The venv's python, where scripts/install-deps puts python-dotenv.
    private static var python: String {
        ProcessInfo.processInfo.environment["KEYRACK_VENV"].map { $0 + "/bin/python3" } ?? Run.packageRoot.appendingPathComponent(".venv/bin/python3").path
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
