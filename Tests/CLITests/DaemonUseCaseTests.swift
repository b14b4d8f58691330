import Foundation
import TestSupport
import XCTest

/// The vision's use case 1, end to end with the built binary: two robots on one machine, each
/// with its own manifest, its own 1Password item, its own daemon process and socket.
final class DaemonUseCaseTests: XCTestCase {
    private var h: DaemonHarness!

    override func setUpWithError() throws { h = try DaemonHarness() }
    override func tearDown() { h.tearDown() }

    func testTwoRobotsEachGetTheirOwnToken() throws {
        let seaturtleToken = "ghs_seaturtle_" + randomToken()
        let mechanicToken = "ghs_mechanic_" + randomToken()
        try h.machine.opItem("op://robots/seaturtle-pat/credential", value: seaturtleToken)
        try h.machine.opItem("op://robots/mechanic-pat/credential", value: mechanicToken)
        for (owner, ref) in [("seaturtle", "op://robots/seaturtle-pat/credential"), ("mechanic", "op://robots/mechanic-pat/credential")] {
            try h.sshOwner(owner)
            try h.ok(["set", "--for", owner, "--key", "GITHUB_TOKEN", "--env", "sudo", "--vault", "1password", "--exid", ref])
        }

        // Before any unlock both are locked, with the command that fixes it.
        let locked = try h.keyrack(["get", "--for", "seaturtle", "--key", "GITHUB_TOKEN", "--env", "sudo", "--value"])
        XCTAssertEqual(locked.status, 3, "\(locked)")
        XCTAssertTrue(locked.err.contains("keyrack unlock --for seaturtle --env sudo --key GITHUB_TOKEN"), locked.err)
        XCTAssertEqual(locked.out, "")

        let unlocked = try h.ok(["unlock", "--for", "seaturtle", "--key", "GITHUB_TOKEN", "--env", "sudo"])
        XCTAssertTrue(unlocked.out.contains("@all.sudo.GITHUB_TOKEN"), unlocked.out)
        XCTAssertTrue(unlocked.out.contains("expires in 30m"), "sudo default TTL is 30m: \(unlocked.out)")
        XCTAssertFalse(unlocked.out.contains(seaturtleToken) || unlocked.err.contains(seaturtleToken), "unlock must not print values")

        // Only seaturtle unlocked: mechanic is locked and never sees seaturtle's value.
        let mechanicBefore = try h.keyrack(["get", "--for", "mechanic", "--key", "GITHUB_TOKEN", "--env", "sudo", "--value"])
        XCTAssertEqual(mechanicBefore.status, 3, "\(mechanicBefore)")
        XCTAssertTrue(mechanicBefore.err.contains("locked"), mechanicBefore.err)
        XCTAssertFalse(mechanicBefore.out.contains(seaturtleToken) || mechanicBefore.err.contains(seaturtleToken))

        try h.ok(["unlock", "--for", "mechanic", "--key", "GITHUB_TOKEN", "--env", "sudo"])
        XCTAssertEqual(try h.ok(["get", "--for", "seaturtle", "--key", "GITHUB_TOKEN", "--env", "sudo", "--value"]).out, seaturtleToken)
        XCTAssertEqual(try h.ok(["get", "--for", "mechanic", "--key", "GITHUB_TOKEN", "--env", "sudo", "--value"]).out, mechanicToken)

        // Two daemons, two sockets, two processes.
        let s = try ManifestHarness.json(try h.ok(["daemon", "status", "--for", "seaturtle", "--json"]))
        let m = try ManifestHarness.json(try h.ok(["daemon", "status", "--for", "mechanic", "--json"]))
        XCTAssertNotEqual(s["pid"] as? Int, m["pid"] as? Int)
        XCTAssertEqual(s["socket"] as? String, h.socketDirectory.appendingPathComponent("daemon.seaturtle.sock").path)
        XCTAssertEqual(m["socket"] as? String, h.socketDirectory.appendingPathComponent("daemon.mechanic.sock").path)
        XCTAssertEqual(h.daemonPID("seaturtle").map(Int.init), s["pid"] as? Int)
        XCTAssertEqual(h.daemonPID("mechanic").map(Int.init), m["pid"] as? Int)

        // status shows keys and expiry, never values; relock of one leaves the other.
        let status = try h.ok(["status", "--for", "mechanic", "--json"])
        XCTAssertFalse(status.out.contains(mechanicToken))
        let keys = try XCTUnwrap(try ManifestHarness.json(status)["keys"] as? [[String: Any]])
        XCTAssertEqual(keys.map { $0["slug"] as? String }, ["@all.sudo.GITHUB_TOKEN"])
        XCTAssertLessThanOrEqual(try XCTUnwrap(keys.first?["remainingSeconds"] as? Int), 1800)
        try h.ok(["relock", "--for", "seaturtle"])
        XCTAssertEqual(try h.keyrack(["get", "--for", "seaturtle", "--key", "GITHUB_TOKEN", "--env", "sudo", "--value"]).status, 3)
        XCTAssertEqual(try h.ok(["get", "--for", "mechanic", "--key", "GITHUB_TOKEN", "--env", "sudo", "--value"]).out, mechanicToken)

        // Stop: the daemon exits and its files go.
        try h.ok(["daemon", "stop", "--for", "mechanic"])
        let pid = try XCTUnwrap(m["pid"] as? Int)
        XCTAssertTrue(h.waitUntilGone(Int32(pid)), "the daemon must exit after stop")
        XCTAssertFalse(FileManager.default.fileExists(atPath: h.socketDirectory.appendingPathComponent("daemon.mechanic.sock").path))
    }

    func testExecSourceAndTheFirewall() throws {
        try h.sshOwner("bot")
        let tricky = "it's \"quoted\" $HOME `x` \\ \n second line\t!"
        try h.ok(["set", "--for", "bot", "--key", "TRICKY", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: tricky)
        try h.ok(["set", "--for", "bot", "--key", "LEGACY", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "ghp_" + randomToken())
        try h.ok(["unlock", "--for", "bot", "--env", "test", "--duration", "2h"])

        // source: eval in a real shell gives back every byte.
        let source = try h.ok(["source", "--for", "bot", "--env", "test", "--key", "TRICKY"])
        let shell = try Run.process("/bin/sh", ["-c", "eval \"$1\"; printf '%s' \"$TRICKY\"", "sh", source.out])
        XCTAssertEqual(shell.out, tricky.hasSuffix("\n") ? String(tricky.dropLast()) : tricky, "\(shell)")

        // exec: no shell in between (the $HOME in an argument stays literal), exit code passes through.
        let exec = try h.keyrack(["exec", "--for", "bot", "--env", "test", "--key", "TRICKY", "--", "/bin/sh", "-c", "printf '%s|%s' \"$TRICKY\" \"$1\"; exit 42", "sh", "$HOME"])
        XCTAssertEqual(exec.status, 42, "\(exec)")
        XCTAssertEqual(exec.out, "\(tricky.hasSuffix("\n") ? String(tricky.dropLast()) : tricky)|$HOME")

        // Long-lived token shapes are refused unless --allow-dangerous.
        let refused = try h.keyrack(["get", "--for", "bot", "--key", "acme.test.LEGACY", "--value"])
        XCTAssertEqual(refused.status, 3, "\(refused)")
        XCTAssertTrue(refused.err.contains("--allow-dangerous"), refused.err)
        XCTAssertFalse(refused.out.contains("ghp_") || refused.err.contains("ghp_" + "x"))
        XCTAssertTrue(try h.ok(["get", "--for", "bot", "--key", "acme.test.LEGACY", "--value", "--allow-dangerous"]).out.hasPrefix("ghp_"))
        XCTAssertEqual(try h.keyrack(["exec", "--for", "bot", "--env", "test", "--key", "LEGACY", "--", "/bin/true"]).status, 3)
    }

    func testRepoAllowlistAnswersUnlistedKeysAsAbsentWithIdenticalText() throws {
        try h.sshOwner("bot")
        for key in ["LISTED", "UNLISTED"] {
            try h.ok(["set", "--for", "bot", "--key", key, "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "v-\(key)")
        }
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        let repo = h.machine.dir.file("repo")
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".agent"), withIntermediateDirectories: true)
        try Data("org: acme\nenv.test:\n  - LISTED\n".utf8).write(to: repo.appendingPathComponent(".agent/keyrack.yml"))

        XCTAssertEqual(try h.ok(["get", "--for", "bot", "--key", "LISTED", "--env", "test", "--value"], cwd: repo).out, "v-LISTED")
        let unlisted = try h.keyrack(["get", "--for", "bot", "--key", "UNLISTED", "--env", "test", "--value"], cwd: repo)
        let missing = try h.keyrack(["get", "--for", "bot", "--key", "NOSUCHKEY", "--env", "test", "--value"], cwd: repo)
        XCTAssertEqual(unlisted.status, 3); XCTAssertEqual(missing.status, 3)
        XCTAssertEqual(unlisted.out, ""); XCTAssertFalse(unlisted.err.contains("v-UNLISTED"))
        XCTAssertEqual(unlisted.err.replacingOccurrences(of: "UNLISTED", with: "K"), missing.err.replacingOccurrences(of: "NOSUCHKEY", with: "K"))
        XCTAssertTrue(missing.err.contains("has no key"), missing.err)
        // Outside the repository the same key is served.
        XCTAssertEqual(try h.ok(["get", "--for", "bot", "--key", "acme.test.UNLISTED", "--value"]).out, "v-UNLISTED")
    }

    private func randomToken() -> String {
        String((0..<24).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
    }
}
