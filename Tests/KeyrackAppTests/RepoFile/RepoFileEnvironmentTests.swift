import Foundation
import KeyrackClient
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `.agent/keyrack.yml` as exec, source and get read it (ValueFetch, run in the repository):
/// a cycle, a missing extended file, unknown fields, a bad grade and a path out of the
/// repository are usage errors (exit 2) naming the chain or the line; `is-optional-if-has` skips
/// an absent key only while the other variable is set. Against a real daemon served in-process.
/// The chain of three files end to end: CLITests/RepoFileExtendsTests.swift.
final class RepoFileEnvironmentTests: XCTestCase {
    private var daemon: InProcessDaemon!
    private var repo: URL!

    override func setUpWithError() throws {
        daemon = try InProcessDaemon(owner: "bot")
        repo = daemon.dir.file("repo")
        for dir in [".git", ".agent/shared"] {
            try FileManager.default.createDirectory(at: repo.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
    }

    private let env = EnvironmentOverride()

    override func tearDown() {
        env.restore()
        daemon.stop()
    }

    private func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: repo.appendingPathComponent(path))
    }

    private func fetch() throws -> ValueFetch { try ValueFetch(owner: "bot", directory: repo.path, allowDangerous: false) }

    /// What reading the repository's file fails with: (exit code, message).
    private func refusal() -> (code: Int32, message: String)? { reportedFailure { try self.fetch() } }

    func testCycleMissingFileAndUnknownFieldsAreUsageErrorsNamingTheChainOrLine() throws {
        let root = repo.appendingPathComponent(".agent/keyrack.yml").path, shared = repo.appendingPathComponent(".agent/shared/keyrack.yml").path
        try write(".agent/keyrack.yml", "org: acme\nextends:\n  - .agent/shared/keyrack.yml\nenv.test:\n  - K_ROOT\n")
        try write(".agent/shared/keyrack.yml", "org: acme\nextends:\n  - .agent/keyrack.yml\nenv.test: []\n")
        let cycle = refusal()
        XCTAssertEqual(cycle?.code, 2)
        XCTAssertTrue(cycle?.message.contains("circular extends: \(root) -> \(shared) -> \(root)") == true, "\(String(describing: cycle))")

        try write(".agent/shared/keyrack.yml", "org: acme\nextends:\n  - .agent/gone.yml\nenv.test: []\n")
        let missing = refusal()
        XCTAssertEqual(missing?.code, 2)
        XCTAssertTrue(missing?.message.contains("\(shared) line 3: extended keyrack file \(repo.path)/.agent/gone.yml not found (chain: \(root) -> \(shared))") == true,
                      "\(String(describing: missing))")

        for (text, expected) in [
            ("org: acme\nenv.test:\n  - K_ROOT\nenvs.prod:\n  - K_ROOT\n", "\(root) line 4: unknown field 'envs.prod'"),
            ("org: acme\nenv.test:\n  - key: K_ROOT\n    is-optional-if: X\n", "\(root) line 4: unknown field 'is-optional-if' in env.test"),
            ("org: acme\nenv.test:\n  - K_ROOT: secret\n", "line 3: the grade of K_ROOT must be"),
            ("org: acme\nextends:\n  - ../../outside.yml\nenv.test: []\n", "leaves the repository"),
        ] {
            try write(".agent/keyrack.yml", text)
            let r = refusal()
            XCTAssertEqual(r?.code, 2, text)
            XCTAssertTrue(r?.message.contains(expected) == true, "\(text): \(String(describing: r))")
        }
    }

    func testIsOptionalIfHasSkipsAnAbsentKeyOnlyWhileTheOtherVariableIsSet() throws {
        try daemon.grant([("acme.test.K_PRESENT", "v-K_PRESENT")], catalog: ["acme.test.K_PRESENT"])
        try write(".agent/keyrack.yml", "org: acme\nenv.all:\n  - key: K_PROFILE\n    is-optional-if-has: K_ACCESS_KEY_ID\nenv.test:\n  - K_PRESENT\n")
        // The other variable unset: K_PROFILE is required, and absent (exec and source fail, exit 3).
        env.set("K_ACCESS_KEY_ID", nil)
        do {
            _ = try fetch().environment(env: "test", keys: [])
            XCTFail("K_PROFILE is required")
        } catch let e as NotGranted {
            XCTAssertEqual(e.exitCode, 3)
            XCTAssertTrue(e.message.contains("K_PROFILE"), e.message)
        }
        // Set: the absent key is skipped (saying so), the others are there.
        env.set("K_ACCESS_KEY_ID", "AKIAEXAMPLE")
        var names: [String] = []
        let warning = try capturingStderr { names = try fetch().environment(env: "test", keys: []).map(\.name) }
        XCTAssertEqual(names, ["K_PRESENT"])
        XCTAssertTrue(warning.contains("K_PROFILE is absent and optional while K_ACCESS_KEY_ID is set"), warning)
        // Present: the optional key is given even with the other variable set.
        try daemon.grant([("acme.test.K_PRESENT", "v-K_PRESENT"), ("acme.all.K_PROFILE", "v-K_PROFILE")], catalog: ["acme.test.K_PRESENT", "acme.all.K_PROFILE"])
        XCTAssertEqual(try fetch().environment(env: "test", keys: []).map(\.name).sorted(), ["K_PRESENT", "K_PROFILE"])
    }
}
