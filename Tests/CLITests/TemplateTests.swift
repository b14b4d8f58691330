import Foundation
import TestSupport
import XCTest

/// `op run`-style use of the rack end to end: `exec --env-file` (NAME=keyrack://ORG.ENV.KEY
/// lines, read back from `source --format dotenv`) and `inject -o` (0600, --force, --json). The
/// refusals, `--mask`, inject's all-or-nothing and the my-key names in-process:
/// KeyrackAppTests/Output/ExecOutputTests.swift; the parsers and the masker alone: EnvFileTests,
/// InjectTemplateTests, OutputMaskerTests.
final class TemplateTests: XCTestCase {
    private var h: DaemonHarness!
    private let api = "api-" + UUID().uuidString
    private let dashed = "dashed-" + UUID().uuidString

    override func setUpWithError() throws {
        h = try DaemonHarness()
        try h.unlockedOwner("bot", [("API", api), ("my-key", dashed)])
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
        try h.secure("bot", "TRICKY", "it's \"q\" \\ X\nline2", env: "prod")
        try h.ok(["unlock", "--for", "bot", "--env", "prod"])
        let dotenv = try h.machine.dir.write("prod.env", try h.ok(["source", "--for", "bot", "--env", "prod", "--format", "dotenv"]).stdout)
        XCTAssertEqual(try h.ok(["exec", "--for", "bot", "--env-file", dotenv.path, "--", "/bin/sh", "-c", "printf %s \"$TRICKY\""]).out, "it's \"q\" \\ X\nline2")
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
    }
}
