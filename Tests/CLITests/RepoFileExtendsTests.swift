import Foundation
import TestSupport
import XCTest

/// `.agent/keyrack.yml` as the TypeScript keyrack reads it (issue 28), end to end: an `extends:`
/// chain of three files (paths from the git root, the root's org), the three entry forms, and
/// `unlock` loading only the keys the file lists. Cycles, missing files, unknown fields and
/// `is-optional-if-has` in-process: KeyrackAppTests/RepoFile/RepoFileEnvironmentTests.swift.
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

    /// exec's environment: the names of the keys it set, in order.
    private func execNames(_ extra: [String: String?] = [:]) throws -> RunResult {
        try h.keyrack(["exec", "--for", "bot", "--env", "test", "--", "/bin/sh", "-c", "env | grep '^K_' | sort | cut -d= -f1 | tr '\\n' ' '"],
                      env: extra, cwd: repo)
    }

    func testExtendsChainOfThreeFilesWithTheRootsOrgAndEntries() throws {
        for key in ["K_ROOT", "K_ROLE", "K_SHARED", "K_LEGACY", "K_OBJECT", "K_ALL", "K_UNLISTED"] { try h.secure("bot", key, "v-\(key)") }
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
}
