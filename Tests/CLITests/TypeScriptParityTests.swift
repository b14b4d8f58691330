import Foundation
import TestSupport
import XCTest

/// The TypeScript keyrack's spellings that keyrack answers too (issue 28, docs/migrating.md):
/// `--owner`, `recipient set/get/del`, `get --unlock`, `source --lenient`/`--strict`.
final class TypeScriptParityTests: XCTestCase {
    private var h: DaemonHarness!

    override func setUpWithError() throws {
        h = try DaemonHarness()
        try h.sshOwner("bot")
    }

    override func tearDown() { h.tearDown() }

    private func set(_ key: String, _ value: String) throws {
        try h.ok(["set", "--for", "bot", "--key", key, "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: value)
    }

    func testOwnerIsAnAliasOfForInTheFullCLIAndTheFastGet() throws {
        try set("API", "v-api")
        XCTAssertEqual(try h.ok(["list", "--owner", "bot", "--json"]).out, try h.ok(["list", "--for", "bot", "--json"]).out)
        try h.ok(["unlock", "--owner", "bot", "--env", "test"])
        XCTAssertEqual(try h.ok(["get", "--owner", "bot", "--key", "API", "--env", "test", "--value"]).out, "v-api")
        XCTAssertEqual(try h.ok(["get", "--owner=bot", "--key", "acme.test.API", "--value"]).out, "v-api")
        XCTAssertTrue(try h.ok(["list", "--help"]).out.contains("--for, --owner <owner>"))
    }

    func testRecipientSetGetDelAreAliasesOfAddListRemove() throws {
        let paper = h.machine.dir.file("paper.key")
        XCTAssertEqual(try Run.process("age-keygen", ["-o", paper.path]).status, 0)
        let pub = try Run.process("age-keygen", ["-y", paper.path]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        try h.ok(["recipient", "set", "--owner", "bot", "--label", "paper", "--pubkey", pub])
        XCTAssertTrue(try h.ok(["recipient", "get", "--owner", "bot", "--json"]).out.contains(pub))
        try h.ok(["recipient", "del", "--owner", "bot", "--label", "paper"])
        XCTAssertFalse(try h.ok(["recipient", "list", "--for", "bot", "--json"]).out.contains(pub))
    }

    func testGetUnlockUnlocksTheOneLockedKeyThenPrintsOnlyTheValue() throws {
        try set("API", "v-api")
        try set("OTHER", "v-other")
        let locked = try h.keyrack(["get", "--for", "bot", "--key", "API", "--env", "test", "--value"])
        XCTAssertEqual(locked.status, 3, locked.description)
        let r = try h.keyrack(["get", "--for", "bot", "--key", "API", "--env", "test", "--value", "--unlock"])
        XCTAssertEqual(r.status, 0, r.description)
        XCTAssertEqual(r.out, "v-api", "stdout holds the value alone; unlock's report went to stderr")
        XCTAssertTrue(r.err.contains("acme.test.API"), r.err)
        let other = try h.keyrack(["get", "--for", "bot", "--key", "OTHER", "--env", "test", "--value"])
        XCTAssertEqual(other.status, 3, "only the one key was unlocked: \(other.description)")
        // Granted already: no unlock, same value.
        XCTAssertEqual(try h.ok(["get", "--for", "bot", "--key", "API", "--env", "test", "--value", "--unlock"]).out, "v-api")
        let bare = try h.keyrack(["get", "--for", "bot", "--key", "API", "--unlock"])
        XCTAssertEqual(bare.status, 2, bare.description)
        XCTAssertTrue(bare.err.contains("--unlock needs --env"), bare.err)
    }

    func testSourceLenientExportsTheGrantedKeysAndStrictExportsNothing() throws {
        try set("K_A", "v-a")
        try set("K_B", "v-b")
        try h.ok(["unlock", "--for", "bot", "--env", "test", "--key", "K_A"])
        let args = ["source", "--for", "bot", "--env", "test", "--key", "K_A", "--key", "K_B"]
        let strict = try h.keyrack(args)
        XCTAssertEqual(strict.status, 3, strict.description)
        XCTAssertEqual(strict.out, "")
        XCTAssertEqual(try h.keyrack(args + ["--strict"]).status, 3)
        let lenient = try h.keyrack(args + ["--lenient"])
        XCTAssertEqual(lenient.status, 0, lenient.description)
        XCTAssertEqual(lenient.out, "export K_A='v-a'\n")
        XCTAssertTrue(lenient.err.contains("note: K_B left out (--lenient)"), lenient.err)
        XCTAssertFalse(lenient.err.contains("v-b"))
        let both = try h.keyrack(args + ["--lenient", "--strict"])
        XCTAssertEqual(both.status, 2, both.description)
    }
}

/// `init --org ORG`'s lines end to end. What it creates, finds and refuses: KeyrackAppTests'
/// RepoFileInitTests.
final class InitOrgTests: XCTestCase {
    func testInitOrgSaysWhereTheRepositoryFileIs() throws {
        let h = try ManifestHarness()
        _ = try h.sshKey("id_ed25519")
        let repo = h.dir.file("repo"), file = repo.appendingPathComponent(".agent/keyrack.yml")
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".git"), withIntermediateDirectories: true)
        XCTAssertTrue(try h.ok(["init", "--org", "acme"], cwd: repo).out.contains("repository file: \(file.path) (created, org acme)"))
        XCTAssertTrue(try h.ok(["init", "--org", "acme"], cwd: repo).out.contains("repository file: \(file.path) (found, org acme)"))
        let outside = try h.ok(["init", "--org", "acme"], cwd: h.dir.url)
        XCTAssertTrue(outside.out.contains("not in a git repository"), outside.out)
        XCTAssertEqual(try h.keyrack(["init", "--org", "Bad Org"]).status, 2)
        // Another org than the file's: exit 2, the CLI's remedy names the option to drop.
        let other = try h.keyrack(["init", "--for", "bot", "--org", "other"], cwd: repo)
        XCTAssertEqual(other.status, 2, other.description)
        XCTAssertTrue(other.err.hasSuffix("\nerror: \(file.path) already declares org acme: edit its org: line by hand, or drop --org\n"), other.err)
    }
}

/// `daemon prune [--for O | --all]`: the TypeScript keyrack's command to stop daemons.
final class DaemonPruneTests: XCTestCase {
    func testPruneAllStopsEveryDaemonOfTheUserAndPruneOfOneSaysWhenNoneRuns() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        for owner in ["bot", "robo"] {
            try h.sshOwner(owner)
            try h.ok(["set", "--for", owner, "--key", "K", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "v")
            try h.ok(["unlock", "--for", owner, "--env", "test"])
            XCTAssertNotNil(h.daemonPID(owner))
        }
        let pruned = try ManifestHarness.json(try h.ok(["daemon", "prune", "--all", "--json"]))
        XCTAssertEqual((pruned["pruned"] as? [[String: String]])?.map { $0["owner"] }, ["bot", "robo"])
        for owner in ["bot", "robo"] {
            XCTAssertEqual(try h.keyrack(["daemon", "status", "--for", owner]).status, 3, "\(owner)'s daemon is gone")
        }
        XCTAssertEqual(try h.ok(["daemon", "prune", "--all"]).out, "no daemon is running for any owner\n")
        XCTAssertEqual(try h.ok(["daemon", "prune", "--owner", "bot"]).out, "no daemon is running for 'bot'\n")
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        XCTAssertEqual(try h.ok(["daemon", "prune", "--for", "bot"]).out, "stopped the daemon of 'bot'\n")
    }
}

/// `firewall --from json(…) --into github.actions|json`: CI secrets pass only as the repository
/// file lists them for the env, and only through the firewall.
final class SecretsFirewallTests: XCTestCase {
    func testFirewallMasksAndExportsListedSecretsAndRefusesALongLivedToken() throws {
        let h = try ManifestHarness()
        let repo = h.dir.file("repo")
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".agent"), withIntermediateDirectories: true)
        try Data("org: acme\nenv.test:\n  - API\n  - TOKEN\n  - MULTI\n  - MISSING\n".utf8).write(to: repo.appendingPathComponent(".agent/keyrack.yml"))
        let pat = "ghp_" + String(repeating: "A1b2", count: 9)
        let secrets: [String: String] = ["API": "v-api", "TOKEN": pat, "MULTI": "line1\nline2", "UNLISTED": "v-unlisted"]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: secrets, options: .sortedKeys), as: UTF8.self)
        let githubEnv = h.dir.file("github_env")
        try Data().write(to: githubEnv)

        let r = try h.keyrack(["firewall", "--env", "test", "--from", "json(env://SECRETS)", "--into", "github.actions"],
                              env: ["SECRETS": json, "GITHUB_ENV": githubEnv.path], cwd: repo)
        XCTAssertEqual(r.status, 3, "a listed secret was blocked: \(r.description)")
        XCTAssertEqual(r.out, "::add-mask::v-api\n::add-mask::line1\n::add-mask::line2\n")
        let appended = try String(contentsOf: githubEnv, encoding: .utf8)
        XCTAssertTrue(appended.hasPrefix("API=v-api\n"), appended)
        XCTAssertFalse(appended.contains(pat) || appended.contains("v-unlisted"), appended)
        XCTAssertFalse(r.out.contains(pat) || r.err.contains(pat), "the token is never printed")
        XCTAssertTrue(r.err.contains("blocked: acme.test.TOKEN: it holds what looks like"), r.err)
        XCTAssertTrue(r.err.contains("1 blocked, 1 absent"), r.err)

        // --into json from stdin, and the CI secrets' shape, per value: KeyrackAppTests' SecretsFirewallExportTests.
        XCTAssertEqual(try h.keyrack(["firewall", "--env", "test", "--from", "yaml(env://X)", "--into", "json"], cwd: repo).status, 2)
        let unset = try h.keyrack(["firewall", "--env", "test", "--from", "json(env://NOPE)", "--into", "json"], cwd: repo)
        XCTAssertEqual(unset.status, 2, unset.description)
        XCTAssertTrue(unset.err.contains("NOPE named by --from is not set"), unset.err)
    }
}

/// `fill` end to end: its lines, and a filled key gettable after unlock. What it fills, asks and
/// refuses: KeyrackAppTests' FillOwnersTests.
final class FillTests: XCTestCase {
    func testFillPrintsWhatItSetAndTheKeyIsGettable() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        for owner in ["bot", "robo"] { try h.sshOwner(owner) }
        let repo = h.machine.dir.file("repo")
        for sub in [".git", ".agent"] { try FileManager.default.createDirectory(at: repo.appendingPathComponent(sub), withIntermediateDirectories: true) }
        try Data("org: acme\nenv.test:\n  - B\n".utf8).write(to: repo.appendingPathComponent(".agent/keyrack.yml"))
        let r = try h.ok(["fill", "--env", "test", "--for", "bot", "--owner", "robo"], stdin: "shared-b\n", cwd: repo)
        XCTAssertEqual(r.out, "acme.test.B: set for bot, robo and read back\n")
        XCTAssertFalse(r.out.contains("shared-b") || r.err.contains("shared-b"))
        try h.ok(["unlock", "--for", "robo", "--env", "test"], cwd: repo)
        XCTAssertEqual(try h.ok(["get", "--for", "robo", "--key", "B", "--env", "test", "--value"], cwd: repo).out, "shared-b")
        XCTAssertEqual(try h.ok(["fill", "--env", "test", "--for", "bot", "--for", "robo"], cwd: repo).out, "acme.test.B: every owner has it\n")
    }
}
