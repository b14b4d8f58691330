import Foundation
import TestSupport
import XCTest

/// Issue 24 (LOW): an identity file others may read is refused as a `--pin-file` in the same
/// state is (one rule, `PrivateFile`), on every path that reads one (the recorded identity,
/// `--identity`, the identity agent), and `doctor` names it with the fix.
final class IdentityFileModeTests: XCTestCase {
    func testIdentityFileReadableByOthersIsRefusedLikeAPINFileAndDoctorNamesIt() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let owner = "loose"
        try h.ok(["init", "--for", owner, "--via", "age"])
        let value = randomSecret("loose")
        try h.ok(["set", "--for", owner, "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: value)
        let id = h.machine.keyrackHome.appendingPathComponent("identities/\(owner).txt").path
        let healthy = try h.keyrack(["doctor", "--for", owner]).out
        XCTAssertTrue(healthy.contains("[ok  ] identity file: \(id) (recipient primary) is yours alone"), healthy)

        XCTAssertEqual(chmod(id, 0o644), 0)
        for args in [["unlock", "--for", owner, "--env", "test"], ["unlock", "--for", owner, "--env", "test", "--identity", id],
                     ["unlock", "--for", owner, "--identity-agent"]] {
            let r = try h.keyrack(args)
            print("\(args.joined(separator: " ")) (identity 0644) -> exit \(r.status): \(r.err)")
            XCTAssertEqual(r.status, 2, "\(args): \(r)")
            XCTAssertTrue(r.err.contains("identity file \(id) has mode 644, readable by others: run `chmod 600 \(id)`"), "\(args): \(r.err)")
            XCTAssertFalse(r.out.contains(value) || r.err.contains(value))
        }
        XCTAssertEqual(try h.keyrack(["get", "--for", owner, "--key", "acme.test.API", "--value"]).status, 3, "nothing was unlocked")
        let doctor = try h.keyrack(["doctor", "--for", owner])
        print(doctor.out)
        XCTAssertTrue(doctor.out.contains("[FAIL] identity file: the identity file \(id) has mode 644, readable by others"), doctor.out)
        XCTAssertTrue(doctor.out.contains("chmod 600 \(id)"), doctor.out)

        // The same file made private again works; an ssh key others may read is refused too.
        XCTAssertEqual(chmod(id, 0o600), 0)
        try h.ok(["unlock", "--for", owner, "--env", "test"])
        XCTAssertEqual(try h.ok(["get", "--for", owner, "--key", "acme.test.API", "--value"]).out, value)
        let key = try h.machine.sshKey("id_sshy").path
        try h.ok(["init", "--for", "sshy", "--via", "ssh", "--pubkey", key + ".pub"])
        try h.ok(["set", "--for", "sshy", "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: value)
        XCTAssertEqual(chmod(key, 0o640), 0)
        let ssh = try h.keyrack(["unlock", "--for", "sshy", "--env", "test"])
        XCTAssertEqual(ssh.status, 2, "\(ssh)")
        XCTAssertTrue(ssh.err.contains("ssh private key \(key) has mode 640, readable by others: run `chmod 600 \(key)`"), ssh.err)
    }
}
