import Foundation
import TestSupport
import XCTest

/// Issue 10, item 1: a client trusts only a runtime directory and a daemon that are the caller's
/// own. The attacker is a second real Unix user who gets to /tmp/keyrack-<uid> first (the
/// fallback when XDG_RUNTIME_DIR is unset: cron, `sudo -u bot -i`) and serves planted answers.
final class TrustBoundaryTests: XCTestCase {
    private var h: DaemonHarness!

    override func setUpWithError() throws { h = try DaemonHarness() }
    override func tearDown() { h.tearDown() }

    /// Every client command, run by the victim against the squatter's directory.
    private var clientCommands: [(String, [String])] {
        [
            (Run.keyrackBinary, ["get", "--key", "API", "--env", "test", "--value"]),
            (Run.keyrackCLIBinary, ["get", "--key", "API", "--env", "test", "--value"]),
            (Run.keyrackBinary, ["source", "--env", "test"]),
            (Run.keyrackBinary, ["exec", "--env", "test", "--", "/bin/sh", "-c", "echo ran BASH_ENV=$BASH_ENV"]),
            (Run.keyrackBinary, ["status"]),
            (Run.keyrackBinary, ["relock"]),
            (Run.keyrackBinary, ["daemon", "stop"]),
            (Run.keyrackBinary, ["daemon", "status"]),
        ]
    }

    func testSquattedTmpRuntimeDirectoryIsRefusedByEveryClientPath() throws {
        let victim = try h.makeUser(), attacker = try h.makeUser()
        let squatted = "/tmp/keyrack-\(victim.uid)"
        chmod(h.machine.dir.path, 0o711)
        defer { try? FileManager.default.removeItem(atPath: squatted) }
        // The attacker's directory, traversable (0711) so the victim can reach the socket in it.
        try AsUser.directory(squatted, owner: attacker, mode: 0o711)
        let evil = h.machine.dir.file("evil.sh").path
        let squatter = try Squatter(as: attacker, socket: squatted + "/daemon.human.sock", log: h.machine.dir.file("squatter.log").path, bashEnv: evil)
        defer { squatter.stop() }

        for (binary, args) in clientCommands {
            let r = try AsUser.run(victim, binary, args, unset: ["XDG_RUNTIME_DIR"])
            let what = "\(URL(fileURLWithPath: binary).lastPathComponent) \(args.joined(separator: " "))"
            print("victim: \(what) -> exit \(r.status): \(r.err)")
            XCTAssertEqual(r.status, 4, "\(what)\n\(r)")
            XCTAssertEqual(r.out, "", "\(what) must print nothing of the squatter's")
            XCTAssertFalse(r.err.contains("squatted") || r.err.contains(evil), r.err)
            XCTAssertTrue(r.err.contains("\(squatted) belongs to uid \(attacker.uid)") && r.err.contains("XDG_RUNTIME_DIR"), "\(what): \(r.err)")
            XCTAssertEqual(r.err.split(separator: "\n").count, 1, "one line: \(r.err)")
        }
        let home = h.machine.dir.file("victim-home").path
        try AsUser.directory(home, owner: victim, mode: 0o700)
        let doctor = try AsUser.run(victim, Run.keyrackBinary, ["doctor"], env: ["HOME": home, "KEYRACK_HOME": home + "/kr"], unset: ["XDG_RUNTIME_DIR"])
        print("victim: keyrack doctor -> exit \(doctor.status):\n\(doctor.out)")
        XCTAssertTrue(doctor.out.contains("[FAIL] daemon") && doctor.out.contains("belongs to uid \(attacker.uid)"), "\(doctor)")
        XCTAssertNotEqual(doctor.status, 0)
        // Not one request reached the squatter: every check ran before connecting.
        XCTAssertEqual(squatter.requests, [], "the squatter was asked: \(squatter.requests)")
        // And the victim's own unlock refuses to start a daemon there.
        let unlock = try AsUser.run(victim, Run.keyrackBinary, ["unlock", "--env", "test"], env: ["HOME": home, "KEYRACK_HOME": home + "/kr"], unset: ["XDG_RUNTIME_DIR"])
        XCTAssertNotEqual(unlock.status, 0, "\(unlock)")
    }

    /// The control for the two tests around it: the same squatter, run by the victim in the
    /// victim's own runtime directory, is believed (its planted value comes back). So it speaks
    /// the daemon's current protocol, and what refuses it there is the directory-owner and
    /// peer-credential checks those tests name, never a protocol version mismatch.
    func testSquatterIsBelievedWhereNoTrustCheckRefusesIt() throws {
        let victim = try h.makeUser()
        chmod(h.machine.dir.path, 0o711)
        let xdg = h.machine.dir.file("victim-run").path
        try AsUser.directory(xdg, owner: victim, mode: 0o700)
        try AsUser.directory(xdg + "/keyrack", owner: victim, mode: 0o700)
        let squatter = try Squatter(as: victim, socket: xdg + "/keyrack/daemon.human.sock", log: h.machine.dir.file("squatter.log").path, bashEnv: "/x")
        defer { squatter.stop() }

        let r = try AsUser.run(victim, Run.keyrackBinary, ["get", "--key", "API", "--env", "test", "--value"], env: ["XDG_RUNTIME_DIR": xdg])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertEqual(r.out.trimmingCharacters(in: .newlines), "squatted", "\(r)")
        XCTAssertEqual(squatter.requests.count, 1, "one GET: \(squatter.requests)")
        let status = try AsUser.run(victim, Run.keyrackBinary, ["status"], env: ["XDG_RUNTIME_DIR": xdg])
        XCTAssertEqual(status.status, 0, "\(status)")
        XCTAssertTrue(status.out.contains("acme.test.API"), "\(status)")
    }

    func testDaemonOfAnotherUIDInTheCallersOwnDirectoryIsRefusedByPeerCredentials() throws {
        let victim = try h.makeUser(), attacker = try h.makeUser()
        chmod(h.machine.dir.path, 0o711)
        // The victim's own, correct runtime directory...
        let xdg = h.machine.dir.file("victim-run").path
        try AsUser.directory(xdg, owner: victim, mode: 0o700)
        try AsUser.directory(xdg + "/keyrack", owner: victim, mode: 0o700)
        // ...into which a socket served by the attacker's process was moved and chowned (as root
        // could; the file looks like the victim's, only SO_PEERCRED tells).
        let lair = h.machine.dir.file("lair").path
        try AsUser.directory(lair, owner: attacker, mode: 0o700)
        let squatter = try Squatter(as: attacker, socket: lair + "/s.sock", log: h.machine.dir.file("squatter.log").path, bashEnv: "/x")
        defer { squatter.stop() }
        let socket = xdg + "/keyrack/daemon.human.sock"
        XCTAssertEqual(rename(lair + "/s.sock", socket), 0)
        XCTAssertEqual(chown(socket, victim.uid, victim.gid), 0)

        for (binary, args) in clientCommands {
            let r = try AsUser.run(victim, binary, args, env: ["XDG_RUNTIME_DIR": xdg])
            let what = "\(URL(fileURLWithPath: binary).lastPathComponent) \(args.joined(separator: " "))"
            print("victim: \(what) -> exit \(r.status): \(r.err)")
            XCTAssertEqual(r.status, 4, "\(what)\n\(r)")
            XCTAssertEqual(r.out, "")
            XCTAssertTrue(r.err.contains("runs as uid \(attacker.uid), not as you (uid \(victim.uid))"), "\(what): \(r.err)")
        }
        XCTAssertEqual(squatter.requests, [], "no request may reach a daemon of another uid")
    }
}
