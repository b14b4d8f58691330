import Foundation
import TestSupport
import XCTest

/// Issue 10, item 1: `exec` and `source` put only names the user or the repository asked for
/// into an environment, and never one that changes how a shell or the loader behaves
/// (BASH_ENV, LD_PRELOAD, PATH, …) unless the user names it with --key and --allow-dangerous.
final class EnvironmentNameTests: XCTestCase {
    private var h: DaemonHarness!

    override func setUpWithError() throws { h = try DaemonHarness() }
    override func tearDown() { h.tearDown() }

    private func seed() throws -> URL {
        try h.sshOwner("bot")
        let hook = h.machine.dir.file("hook.sh")
        try Data("echo HOOK-RAN\n".utf8).write(to: hook)
        for (key, value) in [("API", "api-value"), ("BASH_ENV", hook.path), ("LD_PRELOAD", "/nonexistent/evil.so")] {
            try h.ok(["set", "--for", "bot", "--key", key, "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: value)
        }
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        return hook
    }

    func testUnlockedDangerousNamesAreNeverExportedByDefault() throws {
        _ = try seed()
        for args in [["source", "--for", "bot", "--env", "test"],
                     ["exec", "--for", "bot", "--env", "test", "--", "/bin/bash", "-c", "echo body"]] {
            let r = try h.keyrack(args)
            print("keyrack \(args.joined(separator: " ")) -> exit \(r.status): \(r.err)")
            XCTAssertEqual(r.status, 3, "\(r)")
            XCTAssertEqual(r.out, "", "nothing exported, nothing run")
            XCTAssertTrue(r.err.contains("BASH_ENV changes how a shell or the loader behaves") && r.err.contains("--key BASH_ENV --allow-dangerous"), r.err)
        }
    }

    func testRepositoryFileCannotSmuggleADangerousName() throws {
        _ = try seed()
        let repo = h.machine.dir.file("repo")
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".agent"), withIntermediateDirectories: true)
        try Data("org: acme\nenv.test:\n  - API\n  - LD_PRELOAD\n".utf8).write(to: repo.appendingPathComponent(".agent/keyrack.yml"))
        // Even --allow-dangerous does not let a repository file choose the name.
        let r = try h.keyrack(["source", "--for", "bot", "--env", "test", "--allow-dangerous"], cwd: repo)
        print("source in a repo listing LD_PRELOAD -> exit \(r.status): \(r.err)")
        XCTAssertEqual(r.status, 3, "\(r)")
        XCTAssertEqual(r.out, "")
        XCTAssertTrue(r.err.contains("LD_PRELOAD changes how a shell or the loader behaves, and \(repo.path)/.agent/keyrack.yml lists it"), r.err)
    }

    func testExplicitKeyWithAllowDangerousIsTheOnlyWayIn() throws {
        let hook = try seed()
        let refused = try h.keyrack(["exec", "--for", "bot", "--env", "test", "--key", "BASH_ENV", "--", "/bin/bash", "-c", "echo body"])
        XCTAssertEqual(refused.status, 3, "\(refused)")
        XCTAssertEqual(refused.out, "")
        let allowed = try h.keyrack(["exec", "--for", "bot", "--env", "test", "--key", "BASH_ENV", "--allow-dangerous", "--", "/bin/bash", "-c", "echo body"])
        XCTAssertEqual(allowed.status, 0, "\(allowed)")
        XCTAssertEqual(allowed.out, "HOOK-RAN\nbody\n", "named and allowed, it is handed out")
        let source = try h.ok(["source", "--for", "bot", "--env", "test", "--key", "BASH_ENV", "--allow-dangerous"])
        XCTAssertEqual(source.out, "export BASH_ENV='\(hook.path)'\n")
        // Safe names pass as before, and a name the manifest does not hold is refused.
        XCTAssertEqual(try h.ok(["exec", "--for", "bot", "--env", "test", "--key", "API", "--", "/bin/sh", "-c", "printf %s \"$API\""]).out, "api-value")
        let unknown = try h.keyrack(["exec", "--for", "bot", "--env", "test", "--key", "NOT_IN_MANIFEST", "--", "/bin/true"])
        XCTAssertEqual(unknown.status, 3, "\(unknown)")
        XCTAssertTrue(unknown.err.contains("has no key"), unknown.err)
    }

    /// Issue 24: each family of names a common tool executes, or that reroutes traffic or TLS
    /// trust, is refused by `exec` (unlocked keys, --key, --env-file) without --allow-dangerous,
    /// with what it changes; with --key and --allow-dangerous it is handed out. One name per
    /// family here; every name of the list is KeyrackAppTests.EnvFileTests'
    /// testEveryDangerousFamilyIsRefusedFromAFileWithItsReason.
    func testEachDangerousFamilyIsRefusedWithoutAllowDangerous() throws {
        try h.sshOwner("bot")
        let families: [(String, [String])] = [
            ("names a program a common tool runs", ["GIT_SSH_COMMAND"]),
            ("reroutes network traffic", ["https_proxy"]),
            ("changes which TLS certificates are trusted", ["SSL_CERT_FILE"]),
            ("changes what an interpreter loads or runs at start", ["NODE_OPTIONS"]),
            ("changes what keyrack itself runs or reads", ["KEYRACK_ASKPASS"]),
            ("changes how a shell or the loader behaves", ["LD_AUDIT"]),
        ]
        for (_, names) in families {
            for name in names {
                try h.ok(["set", "--for", "bot", "--key", name, "--env", "fam", "--org", "acme", "--vault", "os.secure"], stdin: "value-of-\(name)")
            }
        }
        try h.ok(["set", "--for", "bot", "--key", "GIT_TOKEN", "--env", "fam", "--org", "acme", "--vault", "os.secure"], stdin: "ordinary")
        try h.ok(["unlock", "--for", "bot", "--env", "fam"])
        let ran = h.machine.dir.file("ran")

        let everything = try h.keyrack(["exec", "--for", "bot", "--env", "fam", "--", "/usr/bin/touch", ran.path])
        XCTAssertEqual(everything.status, 3, "\(everything)")
        XCTAssertTrue(everything.err.contains("--allow-dangerous"), everything.err)
        for (reason, names) in families {
            for name in names {
                let refused = try h.keyrack(["exec", "--for", "bot", "--env", "fam", "--key", name, "--", "/usr/bin/touch", ran.path])
                XCTAssertEqual(refused.status, 3, "\(name): \(refused)")
                XCTAssertTrue(refused.err.contains("\(name) \(reason), and you asked for it"), "\(name): \(refused.err)")
                let file = try h.machine.dir.write("\(name).env", Array("\(name)=keyrack://acme.fam.\(name)\n".utf8))
                let fromFile = try h.keyrack(["exec", "--for", "bot", "--env-file", file.path, "--", "/usr/bin/touch", ran.path])
                XCTAssertEqual(fromFile.status, 3, "\(name): \(fromFile)")
                XCTAssertTrue(fromFile.err.contains("sets \(name), which \(reason)"), "\(name): \(fromFile.err)")
                let allowed = try h.keyrack(["exec", "--for", "bot", "--env", "fam", "--key", name, "--allow-dangerous", "--",
                                             "/usr/bin/printenv", name])
                XCTAssertEqual(allowed.status, 0, "\(name): \(allowed)")
                XCTAssertEqual(allowed.out, "value-of-\(name)\n", name)
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: ran.path), "a refused exec ran its program")
        // A secret whose name merely starts like a family's (GIT_TOKEN) is an ordinary variable.
        XCTAssertEqual(try h.ok(["exec", "--for", "bot", "--env", "fam", "--key", "GIT_TOKEN", "--", "/usr/bin/printenv", "GIT_TOKEN"]).out, "ordinary\n")
    }
}
