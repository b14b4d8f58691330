import Foundation
import KeyrackClient
import KeyrackOutput
import TestSupport
import XCTest

/// `source --format`: each language gives back every byte of every value when its own reader
/// reads it — the real fish, dash and bash, python-dotenv, the GitHub runner's file syntax and
/// keyrack's own env-file reader — and no value becomes code. The readers are the oracles; the
/// values come straight from the renderer, without a daemon.
final class SourceFormatTests: XCTestCase {
    private var dir: TempDirectory!
    private let tricky = "it's \"quoted\" $HOME `x` \\ 100% \n second line\t!"

    override func setUpWithError() throws { dir = try TempDirectory("keyrack-source") }
    override func tearDown() { dir.remove() }

    private func render(_ format: SourceFormat, _ values: [(String, String)]) throws -> (stdout: [UInt8], githubEnv: [UInt8]) {
        try format.render(values.map { (name: $0.0, value: Array($0.1.utf8)) })
    }

    func testShAndFishReadBackEveryByteAndExportIt() throws {
        let values = [("PLAIN", "plain value"), ("TRICKY", tricky)]
        let sh = try dir.write("vars.sh", try render(.sh, values).stdout)
        let dash = try Run.process("/bin/sh", ["-c", ". \"$1\"; printf '%s|' \"$PLAIN\"; /bin/sh -c 'printf %s \"$TRICKY\"'", "sh", sh.path])
        XCTAssertEqual(dash.out, "plain value|" + tricky, "\(dash)")
        // `set -gx` exports: a child process sees the values too.
        let fish = try dir.write("vars.fish", try render(.fish, values).stdout)
        let run = try Run.process("/usr/bin/fish", ["--no-config", "-c", "source $argv[1]; printf '%s|' $PLAIN; /bin/sh -c 'printf %s \"$TRICKY\"'", fish.path])
        XCTAssertEqual(run.status, 0, "\(run)")
        XCTAssertEqual(run.out, "plain value|" + tricky, "\(run)")
    }

    func testShCarriesAnyByteButNUL() throws {
        let out = try SourceFormat.sh.render([(name: "BIN", value: [0xff, 0xfe, 0x41])]).stdout
        XCTAssertEqual(out, Array("export BIN='".utf8) + [0xff, 0xfe, 0x41] + Array("'\n".utf8))
    }

    func testDotenvQuotesOnlyWhatNeedsIt() throws {
        // Bare when nothing in it is special anywhere (docker's --env-file reads those exactly
        // too), '…' when it holds no ' or \, else "…" with \\ and \" (and real newlines).
        let out = try render(.dotenv, [("BARE", "tok_Ab9/+=:.,@%-x"), ("SPACED", "a b $HOME `x`"), ("QUOTED", "it's \\ \"q\"\nline")]).stdout
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "BARE=tok_Ab9/+=:.,@%-x\nSPACED='a b $HOME `x`'\nQUOTED=\"it's \\\\ \\\"q\\\"\nline\"\n")
    }

    /// The hostile values of issue 24: each comes back byte for byte from dash, bash, python-dotenv
    /// (interpolation on, as load_dotenv does) and keyrack's EnvFile, and none runs a command.
    func testDotenvHostileValuesReadBackExactlyByEveryReaderAndRunNothing() throws {
        let pwned = dir.file("pwned")
        let hostile: [(String, String)] = [
            ("SUBST", "$(touch \(pwned.path))"), ("BACKTICK", "`touch \(pwned.path)`"), ("DOLLAR", "$HOME and $1 and $$"),
            ("NEWLINES", "line1\nNEXT=x # not a comment\n'quoted' line\nend"), ("BACKSLASH", "a\\b\\\\c \\n \\"),
            ("TRAILING", "  spaces around  "), ("HASH", "#start and a #comment"), ("QUOTES", "it's \"both\" 'kinds'"),
            ("UNICODE", "nbsp\u{a0}é\u{feff}"), ("EMPTY", ""), ("TILDE", "~/x"),
        ]
        let bytes = try render(.dotenv, hostile).stdout
        let file = try dir.write("hostile.env", bytes)
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
        ]
        for (reader, r) in readers { XCTAssertEqual(vars(r, reader), want, reader) }
        // keyrack's own reader, as `exec --env-file` reads the file.
        let parsed = try EnvFile(path: file.path, bytes: bytes)
        var own: [String: String] = [:]
        for e in parsed.entries { if case .literal(let v) = e.value { own[e.name] = String(decoding: v, as: UTF8.self) } }
        XCTAssertEqual(own, want, "EnvFile")
        XCTAssertFalse(FileManager.default.fileExists(atPath: pwned.path), "a reader ran a command from a value")
    }

    /// No dotenv spelling is safe for these: refused, each by name (never its value), and nothing
    /// rendered; sh still carries them, quoted its own way.
    func testDotenvRefusesWhatNoSpellingCarriesByName() throws {
        let refused: [(String, String, String)] = [
            ("QUOTE_SUBST", "x'$(touch /tmp/nope)", "both a ' or \\ and a $ or backtick"),
            ("SLASH_TICK", "a\\`touch /tmp/nope`", "both a ' or \\ and a $ or backtick"),
            ("BRACED", "${HOME}", "${…}, which python-dotenv expands"),
            ("CR", "a\rb", "a carriage return"),
            ("NUL", "a\u{0}b", "a NUL byte"),
        ]
        for (name, value, why) in refused {
            XCTAssertThrowsError(try render(.dotenv, [("FINE", "ok"), (name, value)]), name) { error in
                let message = (error as? OutputRefusal)?.problem ?? "\(error)"
                XCTAssertTrue(message.contains("the value of \(name) holds \(why)"), message)
                XCTAssertEqual((error as? OutputRefusal)?.remedy, .shJSONOrExec, "the CLI words it `use --format sh (eval) or --format json, or keyrack exec`")
                assertNamesNoCommandOrFlag("\(error)")
                XCTAssertFalse(message.contains(value), "the error names the variable, not its value")
            }
            guard !value.contains("\0") else { continue }
            let sh = try render(.sh, [(name, value)]).stdout
            let back = try Run.process("/bin/sh", ["-c", "eval \"$1\"; printf %s \"$\(name)\"", "sh", String(decoding: sh, as: UTF8.self)])
            XCTAssertEqual(back.out, value, name)
        }
    }

    func testJSONIsOneObjectAndRefusesBytesThatAreNotTextByName() throws {
        let out = try render(.json, [("A", "x\"y\n"), ("B", "é")]).stdout
        let object = try JSONSerialization.jsonObject(with: Data(out)) as? [String: String]
        XCTAssertEqual(object, ["A": "x\"y\n", "B": "é"])
        XCTAssertEqual(out.last, 0x0a)
        for format in [SourceFormat.json, .githubActions] {
            XCTAssertThrowsError(try format.render([(name: "BIN", value: [0xff, 0xfe, 0x41])])) { error in
                XCTAssertEqual(error as? OutputRefusal, OutputRefusal(.failure, "the value of BIN is not UTF-8 text, which this format cannot carry", remedy: .shOrTheValueAlone))
            }
        }
    }

    func testGitHubActionsMasksEveryLineAndWritesTheRunnersFileSyntax() throws {
        let (out, env) = try render(.githubActions, [("PLAIN", "plain value"), ("TRICKY", tricky)])
        // Masks first, one per line of each value, with the workflow-command escapes.
        XCTAssertEqual(String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init),
                       ["::add-mask::plain value", "::add-mask::it's \"quoted\" $HOME `x` \\ 100%25 ", "::add-mask:: second line\t!"])
        let appended = String(decoding: env, as: UTF8.self)
        XCTAssertEqual(Self.parseGitHubEnv("EARLIER=kept\n" + appended), ["EARLIER": "kept", "PLAIN": "plain value", "TRICKY": tricky])
        XCTAssertTrue(appended.hasPrefix("PLAIN=plain value\n"), appended)
        XCTAssertTrue(appended.contains("TRICKY<<ghadelimiter_"), "a multi-line value uses the heredoc form: \(appended)")
        // The delimiter is never a line of the value it closes.
        let hostile = "a\nghadelimiter_0\nb"
        XCTAssertFalse(hostile.split(separator: "\n").contains(Substring(SourceFormat.delimiter(avoiding: Array(hostile.utf8)))))
    }

    /// Appending to $GITHUB_ENV keeps what the job wrote there before.
    func testAppendKeepsTheFilesEarlierLines() throws {
        let file = try dir.write("github_env", Array("EARLIER=kept\n".utf8))
        try SourceFormat.append(Array("NEW=1\n".utf8), to: file.path)
        XCTAssertEqual(try dir.read("github_env"), Array("EARLIER=kept\nNEW=1\n".utf8))
    }

    /// The venv's python, where scripts/install-deps puts python-dotenv.
    private static var python: String {
        ProcessInfo.processInfo.environment["KEYRACK_VENV"].map { $0 + "/bin/python3" } ?? Run.packageRoot.appendingPathComponent(".venv/bin/python3").path
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

    /// Every output refusal's remedy is typed and, in the library's words, names no command or
    /// option (the CLI words them: OutputRefusal+Text; SourceFormatTests in CLITests checks one
    /// printed line); github-actions outside a job is a usage error.
    func testTheRefusalsNameNoCommandOrFlag() throws {
        let remedies: [OutputRefusal.Remedy] = [.shOrTheValueAlone, .inAStepOrAnotherFormat, .shJSONOrExec, .allowDangerous, .theValueAlone]
        for r in remedies { assertNamesNoCommandOrFlag(OutputRefusal(.failure, "p", remedy: r).description) }
        let saved = getenv("GITHUB_ENV").map { String(cString: $0) }
        unsetenv("GITHUB_ENV")
        defer { if let saved { setenv("GITHUB_ENV", saved, 1) } }
        XCTAssertThrowsError(try SourceFormat.githubEnvPath()) { error in
            XCTAssertEqual(error as? OutputRefusal, OutputRefusal(.usage, "the github-actions format appends to $GITHUB_ENV, which is not set", remedy: .inAStepOrAnotherFormat))
        }
    }
}
