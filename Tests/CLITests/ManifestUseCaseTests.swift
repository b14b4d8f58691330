import Foundation
import TestSupport
import XCTest

/// The vision's use cases 1 (two robots, one machine) and 3 (human + robot), with the ssh and
/// the age backends, through the built binary. Each manifest is opened with Debian's `age` to
/// prove it is encrypted to that owner alone.
final class ManifestUseCaseTests: XCTestCase {
    /// Use case 1, ssh: seaturtle and mechanic, each with its own ssh key and GITHUB_TOKEN entry.
    func testTwoRobotsWithSSHKeys() throws {
        let h = try ManifestHarness()
        let seaturtleKey = try h.sshKey("id_ed25519_seaturtle")
        let mechanicKey = try h.sshKey("id_ed25519_mechanic")
        try h.opItem("op://keyrack/seaturtle-pat/credential", value: "seaturtle-token")
        try h.opItem("op://keyrack/mechanic-pat/credential", value: "mechanic-token")

        // The vision's spelling: --pubkey names the private key; its .pub beside it is used.
        let created = try h.ok(["init", "--for", "seaturtle", "--via", "ssh", "--pubkey", seaturtleKey.path])
        XCTAssertTrue(created.out.contains("created owner seaturtle"), created.out)
        try h.ok(["init", "--for", "mechanic", "--via", "ssh", "--pubkey", mechanicKey.path + ".pub"])
        try h.ok(["set", "--for", "seaturtle", "--key", "GITHUB_TOKEN", "--env", "sudo", "--vault", "1password", "--exid", "op://keyrack/seaturtle-pat/credential"])
        try h.ok(["set", "--for", "mechanic", "--key", "GITHUB_TOKEN", "--env", "sudo", "--vault", "1password", "--exid", "op://keyrack/mechanic-pat/credential"])

        try assertIsolated(h, owners: [("seaturtle", seaturtleKey, "op://keyrack/seaturtle-pat/credential"),
                                       ("mechanic", mechanicKey, "op://keyrack/mechanic-pat/credential")])
        // The recorded ssh public key is the one in each file.
        let seaturtlePub = try String(contentsOf: URL(fileURLWithPath: seaturtleKey.path + ".pub"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(try h.ageDecrypt("seaturtle", identity: seaturtleKey).out.contains("pubkey: \"\(seaturtlePub)\""))
    }

    /// Use case 1, age: CI robots without hardware; keyrack creates each identity file.
    func testTwoRobotsWithAgeIdentities() throws {
        let h = try ManifestHarness()
        try h.opItem("op://keyrack/seaturtle-pat/credential", value: "a")
        try h.opItem("op://keyrack/mechanic-pat/credential", value: "b")
        for robot in ["seaturtle", "mechanic"] {
            let r = try h.ok(["init", "--for", robot, "--via", "age", "--json"])
            let json = try ManifestHarness.json(r)
            XCTAssertEqual(json["effect"] as? String, "created")
            XCTAssertEqual(json["identity"] as? String, h.keyrackHome.appendingPathComponent("identities/\(robot).txt").path)
            XCTAssertEqual(try h.mode(h.keyrackHome.appendingPathComponent("identities/\(robot).txt")), 0o600)
            try h.ok(["set", "--for", robot, "--key", "GITHUB_TOKEN", "--env", "sudo", "--vault", "1password", "--exid", "op://keyrack/\(robot)-pat/credential"])
        }
        let ids = h.keyrackHome.appendingPathComponent("identities")
        try assertIsolated(h, owners: [("seaturtle", ids.appendingPathComponent("seaturtle.txt"), "op://keyrack/seaturtle-pat/credential"),
                                       ("mechanic", ids.appendingPathComponent("mechanic.txt"), "op://keyrack/mechanic-pat/credential")])
    }

    /// Use case 3: the human (default owner, default ~/.ssh/id_ed25519.pub) and a robot (age).
    func testHumanAndRobot() throws {
        let h = try ManifestHarness()
        let humanKey = try h.sshKey("id_ed25519")
        let init1 = try h.ok(["init", "--via", "ssh"])
        XCTAssertTrue(init1.out.contains("created owner human"), init1.out)
        XCTAssertTrue(FileManager.default.fileExists(atPath: h.manifest("human").path))
        try h.ok(["init", "--for", "seaturtle", "--via", "age"])

        try h.ok(["set", "--key", "GITHUB_TOKEN", "--env", "sudo", "--vault", "os.secure"], stdin: "human-secret-value\n")
        try h.ok(["set", "--for", "seaturtle", "--key", "GITHUB_TOKEN", "--env", "sudo", "--vault", "os.secure"], stdin: "robot-secret-value")

        let human = try h.ageDecrypt("human", identity: humanKey)
        XCTAssertEqual(human.status, 0, "\(human)")
        XCTAssertTrue(human.out.contains("\"@all.sudo.GITHUB_TOKEN\": human-secret-value\n"), human.out)
        XCTAssertFalse(human.out.contains("robot-secret-value"))
        let robotID = h.keyrackHome.appendingPathComponent("identities/seaturtle.txt")
        let robot = try h.ageDecrypt("seaturtle", identity: robotID)
        XCTAssertTrue(robot.out.contains("\"@all.sudo.GITHUB_TOKEN\": robot-secret-value\n"), robot.out)
        XCTAssertFalse(robot.out.contains("human-secret-value"))
        // Crossed identities open nothing.
        XCTAssertNotEqual(try h.ageDecrypt("human", identity: robotID).status, 0)
        XCTAssertNotEqual(try h.ageDecrypt("seaturtle", identity: humanKey).status, 0)

        // list shows the key, never the value; --json too.
        for args in [["list"], ["list", "--json"], ["list", "--for", "seaturtle"], ["list", "--for", "seaturtle", "--json"]] {
            let r = try h.ok(args)
            XCTAssertTrue(r.out.contains("@all.sudo.GITHUB_TOKEN"), r.out)
            XCTAssertFalse(r.out.contains("secret-value") || r.err.contains("secret-value"), r.description)
        }
        // Re-running init changes nothing.
        let before = try h.snapshot()
        let again = try h.ok(["init", "--via", "ssh"])
        XCTAssertTrue(again.out.contains("already initialised"), again.out)
        XCTAssertEqual(try h.snapshot(), before)
    }

    /// Each owner's file opens with its own key only, lists only its own key, and names the
    /// right 1Password item; keyrack itself refuses the crossed identity with a message naming
    /// the owner and the recipient it needs.
    private func assertIsolated(_ h: ManifestHarness, owners: [(name: String, identity: URL, exid: String)],
                                file: StaticString = #filePath, line: UInt = #line) throws {
        for (i, owner) in owners.enumerated() {
            let other = owners[(i + 1) % owners.count]
            let mine = try h.ageDecrypt(owner.name, identity: owner.identity)
            XCTAssertEqual(mine.status, 0, "\(mine)", file: file, line: line)
            XCTAssertTrue(mine.out.contains("name: \(owner.name)\n"), mine.out, file: file, line: line)
            XCTAssertTrue(mine.out.contains("exid: \"\(owner.exid)\""), mine.out, file: file, line: line)
            XCTAssertFalse(mine.out.contains(other.exid), mine.out, file: file, line: line)
            let crossed = try h.ageDecrypt(owner.name, identity: other.identity)
            XCTAssertNotEqual(crossed.status, 0, "\(owner.name)'s manifest must not open with \(other.name)'s key", file: file, line: line)
            XCTAssertTrue(crossed.err.contains("no identity matched"), crossed.err, file: file, line: line)

            let list = try ManifestHarness.json(try h.ok(["list", "--for", owner.name, "--json"]))
            let keys = try XCTUnwrap(list["keys"] as? [[String: Any]])
            XCTAssertEqual(keys.map { $0["slug"] as? String }, ["@all.sudo.GITHUB_TOKEN"], file: file, line: line)
            XCTAssertEqual(keys.first?["exid"] as? String, owner.exid, file: file, line: line)
            XCTAssertEqual(keys.first?["vault"] as? String, "1password", file: file, line: line)

            let refused = try h.keyrack(["list", "--for", owner.name, "--identity", other.identity.path])
            XCTAssertEqual(refused.status, 1, "\(refused)", file: file, line: line)
            XCTAssertTrue(refused.err.contains("cannot open the host manifest of owner \(owner.name)"), refused.err, file: file, line: line)
            XCTAssertTrue(refused.err.contains("primary "), refused.err, file: file, line: line)
            XCTAssertEqual(refused.out, "", file: file, line: line)
        }
    }
}
