import KeyrackClient
import KeyrackDaemon
import KeyrackOutput
import XCTest
import KeyrackNames

/// `exec --env-file`'s parser and its rules before any value is fetched: every form of a line,
/// every refusal named by file and line (a usage error, exit 2), and a name set twice or one
/// that changes a shell refused before the daemon is asked.
final class EnvFileTests: XCTestCase {
    private func parse(_ text: String, path: String = "app.env") throws -> EnvFile { try EnvFile(path: path, bytes: Array(text.utf8)) }

    private func slug(_ s: String) -> Slug { Slug(parsing: s)! }

    func testReferencesPlainValuesQuotesAndComments() throws {
        let file = try parse("""
            # comment, then a blank line

            export API_TOKEN=keyrack://acme.test.API
            MY_KEY=keyrack://acme.test.my-key
            REGION=eu-west-1   # trailing comment
            QUOTED='single $HOME'
            ESCAPED="two\\nlines \\"q\\" \\t \\\\ \\x"
            HASH=a#b
            EMPTY=
            CRLF=value\r
            """)
        XCTAssertEqual(file.entries, [
            .init(name: "API_TOKEN", value: .reference(slug("acme.test.API")), line: 3),
            .init(name: "MY_KEY", value: .reference(slug("acme.test.my-key")), line: 4),
            .init(name: "REGION", value: .literal(Array("eu-west-1".utf8)), line: 5),
            .init(name: "QUOTED", value: .literal(Array("single $HOME".utf8)), line: 6),
            .init(name: "ESCAPED", value: .literal(Array("two\nlines \"q\" \t \\ \\x".utf8)), line: 7),
            .init(name: "HASH", value: .literal(Array("a#b".utf8)), line: 8),
            .init(name: "EMPTY", value: .literal([]), line: 9),
            .init(name: "CRLF", value: .literal(Array("value".utf8)), line: 10),
        ])
        XCTAssertEqual(file.references, [slug("acme.test.API"), slug("acme.test.my-key")])
    }

    /// A quoted value may span lines, as `source --format dotenv` writes a multi-line value; the
    /// next entry's line number counts them.
    func testQuotedValuesSpanLines() throws {
        let file = try parse("A='one\ntwo'\nB=\"x\ny\" # after\nC=3\n")
        XCTAssertEqual(file.entries.map(\.value), [.literal(Array("one\ntwo".utf8)), .literal(Array("x\ny".utf8)), .literal([0x33])])
        XCTAssertEqual(file.entries.map(\.line), [1, 3, 5])
    }

    func testEveryProblemIsAUsageErrorNamingTheLine() {
        let cases: [(String, String)] = [
            ("no equals sign\n", "app.env line 1: want NAME=VALUE"),
            ("OK=1\nmy-var=x\n", "app.env line 2: 'my-var' is not a variable name"),
            ("A=keyrack://acme.API\n", "app.env line 1: keyrack://acme.API is not ORG.ENV.KEY"),
            ("A='open\n", "app.env line 1: no closing ' quote"),
            ("\n\nA=\"open\n", "app.env line 3: no closing \" quote"),
            ("A='x' y\n", "app.env line 1: text after the closing quote"),
            ("1A=x\n", "'1A' is not a variable name"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try parse(text), text) { error in
                guard let usage = error as? UsageError else { return XCTFail("\(text): \(error)") }
                XCTAssertTrue(usage.message.contains(expected), "\(text): \(usage.message)")
                XCTAssertEqual(usage.exitCode, ExitStatus.usage)
            }
        }
    }

    /// Checked before the daemon is asked (these files hold no reference, so none is): a name
    /// set twice, in the files or beside --env, and a name that changes a shell or the loader.
    func testResolveRefusesANameSetTwiceAndDangerousNames() throws {
        let a = try parse("A=1\n", path: "a.env"), again = try parse("X=1\nA=2\n", path: "b.env")
        XCTAssertThrowsError(try EnvFile.resolve([a, again], owner: "bot", allowDangerous: false, alongside: [])) { error in
            XCTAssertEqual((error as? UsageError)?.message, "b.env line 2 sets A, which a.env line 1 sets already: keep one")
        }
        let api = try parse("API=x\n")
        XCTAssertThrowsError(try EnvFile.resolve([api], owner: "bot", allowDangerous: false, alongside: ["API"])) { error in
            XCTAssertEqual((error as? UsageError)?.message, "app.env line 1 sets API, which a key of the env sets already: keep one")
        }
        let dangerous = try parse("LD_PRELOAD=/tmp/x.so\n")
        XCTAssertThrowsError(try EnvFile.resolve([dangerous], owner: "bot", allowDangerous: false, alongside: [])) { error in
            let refused = error as? OutputRefusal
            XCTAssertEqual(refused?.kind, .refused, "exit 3, code refused")
            XCTAssertTrue(refused?.problem.hasPrefix("app.env line 1 sets LD_PRELOAD") == true, "\(error)")
            XCTAssertEqual(refused?.remedy, .allowDangerous, "the CLI words it `pass --allow-dangerous if you mean it`")
            assertNamesNoCommandOrFlag("\(error)")
        }
        let allowed = try EnvFile.resolve([dangerous], owner: "bot", allowDangerous: true, alongside: [])
        XCTAssertEqual(allowed.map(\.name), ["LD_PRELOAD"])
        XCTAssertEqual(allowed.map(\.value), [Array("/tmp/x.so".utf8)])
        XCTAssertEqual(allowed.map(\.granted), [false], "a plain value is not a granted one (exec --mask leaves it)")
    }

    /// Issue 24: every family of names a common tool executes, or that reroutes traffic or TLS
    /// trust, is refused from an env file without --allow-dangerous, each with what it changes
    /// (EnvironmentNames, the rule `exec --key` and `source` apply too); a name that merely
    /// starts like one (GIT_TOKEN) is an ordinary variable.
    func testEveryDangerousFamilyIsRefusedFromAFileWithItsReason() throws {
        let families: [(String, [String])] = [
            ("names a program a common tool runs", ["GIT_PAGER", "GIT_EXTERNAL_DIFF", "GIT_SSH_COMMAND", "GIT_EDITOR", "EDITOR", "VISUAL",
                                                   "PAGER", "MANPAGER", "SSH_ASKPASS", "SUDO_ASKPASS", "LESSOPEN", "KUBECONFIG"]),
            ("reroutes network traffic", ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"]),
            ("changes which TLS certificates are trusted", ["SSL_CERT_FILE", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "GIT_SSL_CAINFO"]),
            ("changes what an interpreter loads or runs at start", ["NODE_OPTIONS", "PYTHONWARNINGS", "PYTHONSTARTUP", "PERL5OPT", "PERL5LIB",
                                                                    "RUBYOPT", "JAVA_TOOL_OPTIONS", "npm_config_script_shell"]),
            ("changes what keyrack itself runs or reads", ["KEYRACK_ASKPASS", "KEYRACK_AWS_CLI"]),
            ("changes how a shell or the loader behaves", ["LD_AUDIT", "XDG_CONFIG_HOME", "BASH_ENV", "LD_PRELOAD", "PATH"]),
        ]
        for (reason, names) in families {
            for name in names {
                XCTAssertEqual(EnvironmentNames.reason(name), reason, name)
                let file = try parse("\(name)=x\n", path: "\(name).env")
                XCTAssertThrowsError(try EnvFile.resolve([file], owner: "bot", allowDangerous: false, alongside: []), name) { error in
                    XCTAssertEqual(error as? OutputRefusal, OutputRefusal(.refused, "\(name).env line 1 sets \(name), which \(reason)", remedy: .allowDangerous), name)
                }
            }
        }
        XCTAssertNil(EnvironmentNames.reason("GIT_TOKEN"))
        XCTAssertEqual(try EnvFile.resolve([try parse("GIT_TOKEN=x\n")], owner: "bot", allowDangerous: false, alongside: []).map(\.name), ["GIT_TOKEN"])
    }
}
