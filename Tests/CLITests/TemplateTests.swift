import Foundation
import TestSupport
import XCTest

/// `op run`-style use of the rack end to end: `exec --env-file` (NAME=keyrack://ORG.ENV.KEY
/// lines), `exec --mask` (granted values concealed in the program's output on both streams),
/// `inject` ({{ keyrack://… }} placeholders, output 0600), and keys whose names cannot be
/// variables (my-key) skipped by name instead of failing a whole env. The parsers and the masker
/// alone: KeyrackAppTests (EnvFileTests, InjectTemplateTests, OutputMaskerTests).
final class TemplateTests: XCTestCase {
    private var h: DaemonHarness!
    private let api = "api-" + UUID().uuidString
    private let dashed = "dashed-" + UUID().uuidString

    override func setUpWithError() throws {
        h = try DaemonHarness()
        try h.sshOwner("bot")
        try h.ok(["set", "--for", "bot", "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: api)
        try h.ok(["set", "--for", "bot", "--key", "my-key", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: dashed)
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
    }

    override func tearDown() { h.tearDown() }

    private func file(_ name: String, _ text: String) throws -> URL { try h.machine.dir.write(name, Array(text.utf8)) }

    func testEnvFilePassesReferencesAndPlainValuesUnderItsNames() throws {
        let env = try file("app.env", """
            # comment, then a blank line

            export API_TOKEN=keyrack://acme.test.API
            MY_KEY=keyrack://acme.test.my-key
            REGION=eu-west-1   # trailing comment
            QUOTED='single $HOME'
            ESCAPED="two\\nlines \\"q\\""
            """)
        let r = try h.ok(["exec", "--for", "bot", "--env-file", env.path, "--", "/bin/sh", "-c",
                          "printf '%s|%s|%s|%s|%s' \"$API_TOKEN\" \"$MY_KEY\" \"$REGION\" \"$QUOTED\" \"$ESCAPED\""])
        XCTAssertEqual(r.out, "\(api)|\(dashed)|eu-west-1|single $HOME|two\nlines \"q\"")

        // What source --format dotenv writes, exec --env-file reads back byte for byte.
        try h.ok(["set", "--for", "bot", "--key", "TRICKY", "--env", "prod", "--org", "acme", "--vault", "os.secure"], stdin: "it's \"q\" \\ X\nline2")
        try h.ok(["unlock", "--for", "bot", "--env", "prod"])
        let dotenv = try h.machine.dir.write("prod.env", try h.ok(["source", "--for", "bot", "--env", "prod", "--format", "dotenv"]).stdout)
        XCTAssertEqual(try h.ok(["exec", "--for", "bot", "--env-file", dotenv.path, "--", "/bin/sh", "-c", "printf %s \"$TRICKY\""]).out, "it's \"q\" \\ X\nline2")
    }

    func testEnvFileProblemsStopBeforeTheProgramRuns() throws {
        let marker = h.machine.dir.file("ran")
        func attempt(_ text: String, _ extra: [String] = []) throws -> RunResult {
            let env = try file("bad-\(UUID().uuidString.prefix(6)).env", text)
            let r = try h.keyrack(["exec", "--for", "bot", "--env-file", env.path] + extra + ["--", "/usr/bin/touch", marker.path])
            XCTAssertFalse(FileManager.default.fileExists(atPath: marker.path), "the program ran despite: \(r)")
            return r
        }
        let unresolved = try attempt("A=keyrack://acme.test.API\nB=keyrack://acme.test.NOPE\n")
        XCTAssertEqual(unresolved.status, 3, "\(unresolved)")
        XCTAssertTrue(unresolved.err.contains("'bot' has no key acme.test.NOPE"), unresolved.err)
        try h.ok(["relock", "--for", "bot"])
        let locked = try attempt("A=keyrack://acme.test.API\n")
        XCTAssertEqual(locked.status, 3, "\(locked)")
        XCTAssertTrue(locked.err.contains("locked"), locked.err)
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        // Each refusal of the parser and of a name set twice is KeyrackAppTests.EnvFileTests'; here,
        // that one stops the program with exit 2, in a file and beside --env.
        for (text, expected) in [("OK=1\nmy-var=x\n", "line 2: 'my-var' is not a variable name"), ("API=x\n", "sets API, which --env sets already")] {
            let r = try attempt(text, text.hasPrefix("API=") ? ["--env", "test", "--key", "API"] : [])
            XCTAssertEqual(r.status, 2, "\(text): \(r)")
            XCTAssertTrue(r.err.contains(expected), "\(text): \(r.err)")
        }
    }

    func testMaskConcealsEveryOccurrenceOnBothStreamsAndKeepsTheExitCode() throws {
        // 3000 lines, the value at every offset modulo 7: whatever the read sizes, some reads end
        // inside a value; none may leak, and all else passes unchanged.
        let script = "i=0; while [ $i -lt 3000 ]; do printf '%.*s%s|%s\\n' $((i % 7)) xxxxxxx \"$API_TOKEN\" \"$MY_KEY\"; i=$((i+1)); done; echo \"err:$API_TOKEN:plain\" >&2; exit 7"
        let env = try file("m.env", "API_TOKEN=keyrack://acme.test.API\nMY_KEY=keyrack://acme.test.my-key\nPLAIN=not-secret\n")
        let r = try h.keyrack(["exec", "--for", "bot", "--env-file", env.path, "--mask", "--", "/bin/sh", "-c", script])
        XCTAssertEqual(r.status, 7, "the program's exit code")
        let expected = (0..<3000).map { String(repeating: "x", count: $0 % 7) + "<concealed by keyrack>|<concealed by keyrack>\n" }.joined()
        XCTAssertEqual(r.out, expected)
        XCTAssertEqual(r.err, "err:<concealed by keyrack>:plain\n")
        // Without --mask the same program prints the values: the test sees what it conceals.
        XCTAssertTrue(try h.keyrack(["exec", "--for", "bot", "--env-file", env.path, "--", "/bin/sh", "-c", "echo $API_TOKEN"]).out.contains(api))
        // A program ended by a signal: 128 + its number, as a shell reports it.
        XCTAssertEqual(try h.keyrack(["exec", "--for", "bot", "--env", "test", "--key", "API", "--mask", "--", "/bin/sh", "-c", "kill -TERM $$"]).status, 143)
    }

    func testInjectFillsPlaceholdersIntoA0600File() throws {
        let template = try file("config.tpl", "api: {{ keyrack://acme.test.API }}\nkey: {{keyrack://acme.test.my-key}}\nother: {{ .Values.x }}\n")
        let out = h.machine.dir.file("config.yml")
        try h.ok(["inject", "--for", "bot", "-i", template.path, "-o", out.path])
        XCTAssertEqual(try String(contentsOf: out, encoding: .utf8), "api: \(api)\nkey: \(dashed)\nother: {{ .Values.x }}\n")
        XCTAssertEqual(try h.machine.mode(out), 0o600)
        // An existing output is replaced only with --force.
        let exists = try h.keyrack(["inject", "--for", "bot", "-i", template.path, "-o", out.path])
        XCTAssertEqual(exists.status, 2, "\(exists)")
        let json = try ManifestHarness.json(try h.ok(["inject", "--for", "bot", "-i", template.path, "-o", out.path, "--force", "--json"]))
        XCTAssertEqual(json as NSDictionary, ["output": out.path, "mode": "0600", "placeholders": 2])
        // stdin to stdout, text kept as it is (the trailing newline too).
        XCTAssertEqual(try h.ok(["inject", "--for", "bot"], stdin: "x={{ keyrack://acme.test.API }}\n").out, "x=\(api)\n")

        // One placeholder not granted: exit 3 and no file; a malformed one: exit 2 with its line.
        let partial = h.machine.dir.file("partial.yml")
        let missing = try h.keyrack(["inject", "--for", "bot", "-o", partial.path], stdin: "a: {{ keyrack://acme.test.API }}\nb: {{ keyrack://acme.test.NOPE }}\n")
        XCTAssertEqual(missing.status, 3, "\(missing)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: partial.path))
        XCTAssertFalse(missing.out.contains(api) || missing.err.contains(api))
        let malformed = try h.keyrack(["inject", "--for", "bot"], stdin: "ok\n{{ keyrack://acme.test.API\n")
        XCTAssertEqual(malformed.status, 2, "\(malformed)")
        XCTAssertTrue(malformed.err.contains("stdin line 2: {{ keyrack://acme.test.API is not closed with }}"), malformed.err)
        XCTAssertEqual(malformed.out, "")
    }

    func testAKeyNamedLikeMyKeyIsSkippedByNameNotFatal() throws {
        let source = try h.ok(["source", "--for", "bot", "--env", "test"])
        XCTAssertEqual(source.out, "export API='\(api)'\n")
        XCTAssertTrue(source.err.contains("skipped key 'my-key'"), source.err)
        XCTAssertTrue(source.err.contains("--env-file FILE and a line MY_KEY=keyrack://"), source.err)
        XCTAssertEqual(try h.ok(["exec", "--for", "bot", "--env", "test", "--", "/bin/sh", "-c", "printf %s \"$API\""]).out, api)
        // Asked for by name, it is an error that says how to pass it.
        let named = try h.keyrack(["exec", "--for", "bot", "--env", "test", "--key", "my-key", "--", "/bin/true"])
        XCTAssertEqual(named.status, 2, "\(named)")
        XCTAssertTrue(named.err.contains("MY_KEY=keyrack://"), named.err)
    }
}
