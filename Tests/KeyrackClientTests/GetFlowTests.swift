import KeyrackClient
import KeyrackDaemon
import XCTest

/// What `get` refuses before it talks to a daemon, and the text helpers both binaries print with.
final class GetFlowTests: XCTestCase {
    private func flow(key: String = "GITHUB_TOKEN", env: String? = nil, value: Bool = false, json: Bool = false) -> GetFlow {
        GetFlow(owner: "human", key: key, env: env, value: value, json: json, allowDangerous: false)
    }

    func testValidationProblems() {
        XCTAssertNil(flow().validationProblem)
        XCTAssertNil(flow(env: "sudo", value: true).validationProblem)
        XCTAssertEqual(flow(value: true, json: true).validationProblem, "--value and --json are exclusive: choose one output")
        XCTAssertTrue(flow(env: "Prod").validationProblem?.hasPrefix("invalid --env 'Prod'") ?? false)
        XCTAssertTrue(flow(env: String(repeating: "a", count: 64)).validationProblem?.hasPrefix("invalid --env") ?? false,
                      "the env rule is KeyrackNames' (63 bytes at most), the same as the core's")
        XCTAssertEqual(flow(key: "").validationProblem, "--key is empty: pass a key name or ORG.ENV.KEY")
    }

    func testRequestsSplitSlugsTheWayTheDaemonDoes() {
        let r = KeyRequest(owner: "human", key: "ehmpathy.prod.AWS.KEY", env: nil, org: nil)
        XCTAssertEqual(r.name, "AWS.KEY")
        XCTAssertEqual(r.effectiveEnv, "prod")
        let bare = KeyRequest(owner: "human", key: "AWS.KEY", env: "test", org: nil)
        XCTAssertEqual(bare.name, "AWS.KEY", "two parts are a key name with a dot, not a slug")
        XCTAssertEqual(bare.effectiveEnv, "test")
    }

    func testTextFormats() {
        XCTAssertEqual(JSONString.quoted("a\"b\\c\n\u{1}"), #""a\"b\\c\n\u0001""#)
        XCTAssertEqual(String(decoding: TextFormat.shellQuoted(Array("it's".utf8)), as: UTF8.self), #"'it'\''s'"#)
        XCTAssertTrue(TextFormat.isShellIdentifier("_A1"))
        XCTAssertFalse(TextFormat.isShellIdentifier("my-key"))
        XCTAssertFalse(TextFormat.isShellIdentifier("1A"))
        XCTAssertEqual(TextFormat.isoTime(milliseconds: 1_768_471_200_000), "2026-01-15T10:00:00Z")
        XCTAssertEqual(TextFormat.remaining(milliseconds: 3_900_000), "1h05m")
        XCTAssertEqual(TextFormat.remaining(milliseconds: 40_000), "40s")
    }

    /// The front end's parse: what it takes itself, and what it hands to the full CLI (nil).
    func testFrontEndParseTakesWhatGetCommandTakesAndNothingElse() throws {
        let all = try XCTUnwrap(GetFlow(arguments: ["--owner=bot", "--key", "K", "--env=test", "--value", "--allow-dangerous"]))
        XCTAssertEqual([all.owner, all.key, all.env], ["bot", "K", "test"])
        XCTAssertEqual([all.value, all.json, all.allowDangerous], [true, false, true])
        let plain = try XCTUnwrap(GetFlow(arguments: ["--json", "--key=acme.test.K"]))
        XCTAssertEqual([plain.owner, plain.key], ["human", "acme.test.K"])
        XCTAssertNil(plain.env)
        XCTAssertEqual([plain.value, plain.json, plain.allowDangerous], [false, true, false])
        for handedOver in [[], ["--for", "bot"], ["--key", "K", "--key", "L"], ["--key", "K", "--for", "a", "--owner", "b"],
                           ["--key", "K", "--value", "--value"], ["--key", "K", "--json=yes"], ["--key", "K", "--help"],
                           ["--key"], ["--key", "--value"], ["--key", ""], ["--key", "K", "extra"], ["--key", "K", "--value", "--json"],
                           ["--key", "K", "--for", "Bad Owner"], ["--key", "K", "--env", "Prod"]] {
            XCTAssertNil(GetFlow(arguments: handedOver), "\(handedOver)")
        }
    }
}
