import Foundation
import TestSupport
import XCTest

/// The first commands of the vision: bare `keyrack init` points at --via yubikey when a YubiKey
/// is plugged in (which ssh key it picks: KeyrackAppTests.ManifestChangeTests); the CI loop
/// inits a robot from a literal public key and unlocks it with KEYRACK_IDENTITY or
/// KEYRACK_IDENTITY_FD.
final class FirstRunTests: XCTestCase {
    func testBareInitPointsAtTheYubiKeyPluggedIn() throws {
        let h = try ManifestHarness()
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let key = try h.sshKey("id_ed25519")
        let r = try h.ok(["init"])
        XCTAssertTrue(r.err.contains("using the ssh key \(key.path).pub"), r.err)
        XCTAssertTrue(r.err.contains("a YubiKey (serial \(card.serial)) is plugged in: `keyrack init --via yubikey`"), r.err)
    }

    /// init --for agent-1 --via ssh --pubkey "ssh-ed25519 AAAA…", then unlock with the private key
    /// from the environment: a path, or a descriptor (a pipe, as CI passes a secret).
    func testCILoopWithALiteralPublicKeyAndTheIdentityFromTheEnvironment() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let keys = h.machine.dir.file("ci-secrets")
        try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let key = keys.appendingPathComponent("agent-1")
        XCTAssertEqual(try Run.process("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "agent-1", "-f", key.path]).status, 0)
        let pub = try String(contentsOf: URL(fileURLWithPath: key.path + ".pub"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        try h.ok(["init", "--for", "agent-1", "--via", "ssh", "--pubkey", pub])
        try h.ok(["set", "--for", "agent-1", "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure", "--identity", key.path], stdin: "agent-value")

        // No identity recorded (a literal key names no file): the error says how to give one.
        let missing = try h.keyrack(["unlock", "--for", "agent-1", "--env", "test", "--json"])
        XCTAssertEqual(missing.status, 1, "\(missing)")
        XCTAssertTrue(missing.err.contains("KEYRACK_IDENTITY=PATH") && missing.err.contains("KEYRACK_IDENTITY_FD=N"), missing.err)
        XCTAssertEqual((try ManifestHarness.json(missing)["error"] as? [String: Any])?["code"] as? String, "wrong-identity")

        let byPath = try h.ok(["unlock", "--for", "agent-1", "--env", "test"], env: ["KEYRACK_IDENTITY": key.path])
        XCTAssertTrue(byPath.out.contains("with recipient from KEYRACK_IDENTITY (\(key.path))"), byPath.out)
        XCTAssertEqual(try h.ok(["get", "--for", "agent-1", "--key", "acme.test.API", "--value"]).out, "agent-value")
        try h.ok(["relock", "--for", "agent-1"])

        // A pipe on descriptor 3, through a real shell as a CI step would write it.
        let piped = try ciStep(h, "\"$1\" unlock --for agent-1 --env test 3< <(cat \"$2\")", fd: 3, file: key.path)
        XCTAssertEqual(piped.status, 0, "\(piped)")
        XCTAssertTrue(piped.out.contains("with recipient from KEYRACK_IDENTITY_FD=3"), piped.out)
        XCTAssertEqual(try h.ok(["get", "--for", "agent-1", "--key", "acme.test.API", "--value"]).out, "agent-value")
        // A descriptor that is not open, and both variables at once, are usage errors.
        XCTAssertEqual(try h.keyrack(["unlock", "--for", "agent-1", "--env", "test"], env: ["KEYRACK_IDENTITY_FD": "9"]).status, 2)
        XCTAssertEqual(try h.keyrack(["unlock", "--for", "agent-1", "--env", "test"], env: ["KEYRACK_IDENTITY_FD": "9", "KEYRACK_IDENTITY": key.path]).status, 2)
    }

    /// The same for an age robot: --pubkey age1… literal, the identity on a descriptor.
    func testAgeRobotFromALiteralRecipient() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let identity = h.machine.dir.file("robot.agekey")
        let made = try Run.process("age-keygen", ["-o", identity.path])
        XCTAssertEqual(made.status, 0, "\(made)")
        let recipient = try XCTUnwrap(try String(contentsOf: identity, encoding: .utf8).split(separator: "\n")
            .first { $0.hasPrefix("# public key: ") }?.dropFirst("# public key: ".count))
        try h.ok(["init", "--for", "robot", "--via", "age", "--pubkey", String(recipient)])
        XCTAssertEqual(try Run.process("age", ["-d", "-i", identity.path, h.machine.manifest("robot").path]).status, 0, "encrypted to that recipient")
        let set = try ciStep(h, "printf v | \"$1\" set --for robot --key K --env test --org acme --vault os.secure 4< \"$2\"", fd: 4, file: identity.path)
        XCTAssertEqual(set.status, 0, "set opens the manifest with the descriptor's identity too: \(set)")
    }

    /// `script` in bash as a CI step writes it, with KEYRACK_IDENTITY_FD=fd; $1 is keyrack, $2 `file`.
    private func ciStep(_ h: DaemonHarness, _ script: String, fd: Int, file: String) throws -> RunResult {
        var env = h.machine.environment
        env["XDG_RUNTIME_DIR"] = h.runtime.path
        env["KEYRACK_IDENTITY_FD"] = String(fd)
        return try Run.process("/bin/bash", ["-c", script, "bash", Run.keyrackBinary, file], environment: env, currentDirectory: h.machine.dir.url)
    }
}
