import Foundation
import TestSupport
import XCTest

/// `.agent/keyrack.yml` as the TypeScript keyrack reads it (issue 28): `extends:` chains (paths
/// from the git root, root's org, root wins, cycle and missing file named with the chain), the
/// three entry forms, `is-optional-if-has` for exec/source, unknown fields refused with their
/// line, and `unlock` loading only the keys the file lists.
final class RepoFileExtendsTests: XCTestCase {
    private var h: DaemonHarness!
    private var repo: URL!

    override func setUpWithError() throws {
        h = try DaemonHarness()
        try h.sshOwner("bot")
        repo = h.machine.dir.file("repo")
        for dir in [".git", ".agent/repo=acme/role=mechanic", ".agent/shared"] {
            try FileManager.default.createDirectory(at: repo.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
    }

    override func tearDown() { h.tearDown() }

    private func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: repo.appendingPathComponent(path))
    }

    private func set(_ key: String, env: String = "test") throws {
        try h.ok(["set", "--for", "bot", "--key", key, "--env", env, "--org", "acme", "--vault", "os.secure"], stdin: "v-\(key)")
    }

    /// exec's environment: the names of the keys it set, in order.
    private func execNames(_ extra: [String: String?] = [:]) throws -> RunResult {
        try h.keyrack(["exec", "--for", "bot", "--env", "test", "--", "/bin/sh", "-c", "env | grep '^K_' | sort | cut -d= -f1 | tr '\\n' ' '"],
                      env: extra, cwd: repo)
    }

    func testExtendsChainOfThreeFilesWithTheRootsOrgAndEntries() throws {
        for key in ["K_ROOT", "K_ROLE", "K_SHARED", "K_LEGACY", "K_OBJECT", "K_ALL", "K_UNLISTED"] { try set(key) }
        // Root → role file → shared file; the extended files name another org: the root's applies.
        try write(".agent/keyrack.yml", """
            org: acme
            extends:
              - .agent/repo=acme/role=mechanic/keyrack.yml
            env.test:
              - K_ROOT
              - K_LEGACY: encrypted
              - {key: K_OBJECT, grade: "encrypted,ephemeral"}

            """)
        try write(".agent/repo=acme/role=mechanic/keyrack.yml", """
            org: other
            extends:
              - .agent/shared/keyrack.yml
            env.test:
              - K_ROLE

            """)
        try write(".agent/shared/keyrack.yml", "org: shared\nenv.all:\n  - K_ALL\nenv.test:\n  - K_SHARED\n")
        try h.ok(["unlock", "--for", "bot", "--env", "test", "--key", "K_UNLISTED"])
        let unlocked = try h.ok(["unlock", "--for", "bot", "--env", "test"], cwd: repo)
        XCTAssertFalse(unlocked.out.contains("K_UNLISTED"), unlocked.out)
        let r = try execNames()
        XCTAssertEqual(r.status, 0, r.description)
        XCTAssertEqual(r.out, "K_ALL K_LEGACY K_OBJECT K_ROLE K_ROOT K_SHARED ")
        XCTAssertEqual(try h.ok(["get", "--for", "bot", "--key", "K_SHARED", "--env", "test", "--value"], cwd: repo).out, "v-K_SHARED")
        let unlisted = try h.keyrack(["get", "--for", "bot", "--key", "K_UNLISTED", "--env", "test", "--value"], cwd: repo)
        XCTAssertEqual(unlisted.status, 3, unlisted.description)
    }

    func testCycleMissingFileAndUnknownFieldsAreErrorsNamingTheChainOrLine() throws {
        try set("K_ROOT")
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        try write(".agent/keyrack.yml", "org: acme\nextends:\n  - .agent/shared/keyrack.yml\nenv.test:\n  - K_ROOT\n")
        try write(".agent/shared/keyrack.yml", "org: acme\nextends:\n  - .agent/keyrack.yml\nenv.test: []\n")
        let root = repo.appendingPathComponent(".agent/keyrack.yml").path, shared = repo.appendingPathComponent(".agent/shared/keyrack.yml").path
        let cycle = try execNames()
        XCTAssertEqual(cycle.status, 2, cycle.description)
        XCTAssertTrue(cycle.err.contains("circular extends: \(root) -> \(shared) -> \(root)"), cycle.err)

        try write(".agent/shared/keyrack.yml", "org: acme\nextends:\n  - .agent/gone.yml\nenv.test: []\n")
        let missing = try execNames()
        XCTAssertEqual(missing.status, 2, missing.description)
        XCTAssertTrue(missing.err.contains("\(shared) line 3: extended keyrack file \(repo.path)/.agent/gone.yml not found (chain: \(root) -> \(shared))"), missing.err)

        try write(".agent/keyrack.yml", "org: acme\nenv.test:\n  - K_ROOT\nenvs.prod:\n  - K_ROOT\n")
        let field = try h.keyrack(["get", "--for", "bot", "--key", "K_ROOT", "--env", "test", "--value"], cwd: repo)
        XCTAssertEqual(field.status, 2, field.description)
        XCTAssertTrue(field.err.contains("\(root) line 4: unknown field 'envs.prod'"), field.err)

        try write(".agent/keyrack.yml", "org: acme\nenv.test:\n  - key: K_ROOT\n    is-optional-if: X\n")
        let entry = try execNames()
        XCTAssertEqual(entry.status, 2, entry.description)
        XCTAssertTrue(entry.err.contains("\(root) line 4: unknown field 'is-optional-if' in env.test"), entry.err)

        try write(".agent/keyrack.yml", "org: acme\nenv.test:\n  - K_ROOT: secret\n")
        let grade = try execNames()
        XCTAssertEqual(grade.status, 2, grade.description)
        XCTAssertTrue(grade.err.contains("line 3: the grade of K_ROOT must be"), grade.err)

        try write(".agent/keyrack.yml", "org: acme\nextends:\n  - ../../outside.yml\nenv.test: []\n")
        let outside = try execNames()
        XCTAssertEqual(outside.status, 2, outside.description)
        XCTAssertTrue(outside.err.contains("leaves the repository"), outside.err)
    }

    func testIsOptionalIfHasSkipsAnAbsentKeyOnlyWhileTheOtherVariableIsSet() throws {
        try set("K_PRESENT")
        try write(".agent/keyrack.yml", """
            org: acme
            env.all:
              - key: K_PROFILE
                is-optional-if-has: K_ACCESS_KEY_ID
            env.test:
              - K_PRESENT

            """)
        try h.ok(["unlock", "--for", "bot", "--env", "test"], cwd: repo)
        // The other variable unset: K_PROFILE is required, and absent.
        let strict = try execNames(["K_ACCESS_KEY_ID": nil])
        XCTAssertEqual(strict.status, 3, strict.description)
        XCTAssertTrue(strict.err.contains("K_PROFILE"), strict.err)
        let source = try h.keyrack(["source", "--for", "bot", "--env", "test"], env: ["K_ACCESS_KEY_ID": nil], cwd: repo)
        XCTAssertEqual(source.status, 3, source.description)
        XCTAssertEqual(source.out, "", "nothing on stdout when a required key is missing")
        // Set: the absent key is skipped, the others are there.
        let lenient = try execNames(["K_ACCESS_KEY_ID": "AKIAEXAMPLE"])
        XCTAssertEqual(lenient.status, 0, lenient.description)
        XCTAssertEqual(lenient.out, "K_ACCESS_KEY_ID K_PRESENT ")
        XCTAssertTrue(lenient.err.contains("K_PROFILE is absent and optional while K_ACCESS_KEY_ID is set"), lenient.err)
        let sourced = try h.keyrack(["source", "--for", "bot", "--env", "test"], env: ["K_ACCESS_KEY_ID": "AKIAEXAMPLE"], cwd: repo)
        XCTAssertEqual(sourced.status, 0, sourced.description)
        XCTAssertTrue(sourced.out.contains("K_PRESENT=") && !sourced.out.contains("K_PROFILE"), sourced.out)
        // Present: the optional key is given even with the other variable set.
        try set("K_PROFILE", env: "all")
        try h.ok(["unlock", "--for", "bot", "--env", "test"], cwd: repo)
        let both = try execNames(["K_ACCESS_KEY_ID": "AKIAEXAMPLE"])
        XCTAssertEqual(both.status, 0, both.description)
        XCTAssertEqual(both.out, "K_ACCESS_KEY_ID K_PRESENT K_PROFILE ")
    }
}
