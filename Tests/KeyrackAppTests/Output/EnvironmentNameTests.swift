import Foundation
import KeyrackApp
import KeyrackOutput
import KeyrackClient
import TestSupport
import XCTest

/// Issue 10, item 1 and issue 24, in-process against a real daemon served here: exec's and
/// source's environment (ExecEnvironment, ValueFetch) never holds a name that changes how a shell,
/// the loader or a common tool behaves unless the user names it with --key and allows it; a
/// repository file cannot smuggle one even then. Refusals are exit 3 and come before anything
/// runs. A named, allowed BASH_ENV run by a real bash: CLITests/EnvironmentNameTests.swift.
final class EnvironmentNameTests: XCTestCase {
    private var daemon: InProcessDaemon!
    private let families: [(reason: String, name: String)] = [
        ("names a program a common tool runs", "GIT_SSH_COMMAND"),
        ("reroutes network traffic", "https_proxy"),
        ("changes which TLS certificates are trusted", "SSL_CERT_FILE"),
        ("changes what an interpreter loads or runs at start", "NODE_OPTIONS"),
        ("changes what keyrack itself runs or reads", "KEYRACK_ASKPASS"),
        ("changes how a shell or the loader behaves", "LD_AUDIT"),
    ]

    override func setUpWithError() throws {
        daemon = try InProcessDaemon(owner: "bot")
        let values = [("acme.test.API", "api-value"), ("acme.test.BASH_ENV", "/tmp/hook.sh"), ("acme.test.LD_PRELOAD", "/nonexistent/evil.so"),
                      ("acme.fam.GIT_TOKEN", "ordinary")] + families.map { ("acme.fam.\($0.name)", "value-of-\($0.name)") }
        try daemon.grant(values, catalog: values.map(\.0))
    }

    override func tearDown() { daemon.stop() }

    private func exec(env: String?, keys: [String] = [], files: [String] = [], allowDangerous: Bool = false) throws -> [String: String] {
        let v = try ExecEnvironment.values(owner: "bot", env: env, keys: keys, envFiles: files, allowDangerous: allowDangerous)
        return Dictionary(v.map { ($0.name, String(decoding: $0.value, as: UTF8.self)) }, uniquingKeysWith: { a, _ in a })
    }

    private func refusal(_ body: () throws -> Any) -> String {
        do { _ = try body() } catch let e as NotGranted {
            XCTAssertEqual(e.exitCode, 3, e.message)
            return e.message
        } catch let e as OutputRefusal {
            // An env file's name: typed, the CLI words its remedy (`--allow-dangerous`, OutputRefusal+Text).
            XCTAssertEqual(e.kind, .refused, e.problem)
            XCTAssertEqual(e.remedy, .allowDangerous, e.problem)
            return e.problem
        } catch { XCTFail("not a refusal: \(error)") }
        XCTFail("not refused")
        return ""
    }

    func testUnlockedDangerousNamesAreNeverExportedByDefault() throws {
        let fetch = try ValueFetch(owner: "bot", directory: daemon.dir.path, allowDangerous: false)
        for message in [refusal { try fetch.environment(env: "test", keys: []) }, refusal { try self.exec(env: "test") }] {
            XCTAssertTrue(message.contains("BASH_ENV changes how a shell or the loader behaves") && message.contains("--key BASH_ENV --allow-dangerous"), message)
        }
    }

    func testRepositoryFileCannotSmuggleADangerousName() throws {
        let repo = daemon.dir.file("repo")
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".agent"), withIntermediateDirectories: true)
        try Data("org: acme\nenv.test:\n  - API\n  - LD_PRELOAD\n".utf8).write(to: repo.appendingPathComponent(".agent/keyrack.yml"))
        // Even --allow-dangerous does not let a repository file choose the name.
        let fetch = try ValueFetch(owner: "bot", directory: repo.path, allowDangerous: true)
        let message = refusal { try fetch.environment(env: "test", keys: []) }
        XCTAssertTrue(message.contains("LD_PRELOAD changes how a shell or the loader behaves, and \(repo.path)/.agent/keyrack.yml lists it"), message)
    }

    /// Each family, from the unlocked keys, --key and --env-file, refused with what it changes;
    /// with --key and --allow-dangerous handed out. Every name of the list: EnvFileTests.
    func testEachDangerousFamilyIsRefusedWithoutAllowDangerous() throws {
        XCTAssertTrue(refusal { try self.exec(env: "fam") }.contains("--allow-dangerous"))
        for (reason, name) in families {
            let named = refusal { try self.exec(env: "fam", keys: [name]) }
            XCTAssertTrue(named.contains("\(name) \(reason), and you asked for it"), "\(name): \(named)")
            let file = try daemon.dir.write("\(name).env", Array("\(name)=keyrack://acme.fam.\(name)\n".utf8)).path
            let fromFile = refusal { try self.exec(env: nil, files: [file]) }
            XCTAssertTrue(fromFile.contains("sets \(name), which \(reason)"), "\(name): \(fromFile)")
            XCTAssertEqual(try exec(env: "fam", keys: [name], allowDangerous: true), [name: "value-of-\(name)"])
        }
        // A secret whose name merely starts like a family's (GIT_TOKEN) is an ordinary variable.
        XCTAssertEqual(try exec(env: "fam", keys: ["GIT_TOKEN"]), ["GIT_TOKEN": "ordinary"])
    }
}
