import Foundation
import TestSupport
import XCTest

/// Issue 10, item 8: robots get a way out of pcscd's open socket. A robot's slot with PIN policy
/// `once` is unlocked unattended with `--pin-stdin` or a `--pin-file` that must be the caller's
/// and 0600; `init` warns about a PIN-never slot for an owner pinned to another uid; `doctor`
/// says whether pcscd restricts access; a blocked PIN names `keyrack yubikey unblock-pin`.
/// Against the simulated card behind the real pcscd (scripts/with-simulated-yubikey).
final class RobotPINTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipIf(SimulatedCard.cardTestsDisabled, "KEYRACK_NO_CARD_TESTS=1")
    }


    func testPINOnceRobotUnlocksWithPINStdinOrAPrivatePINFile() throws {
        var card = try SimulatedCard.insert()
        defer { card.remove() }
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let s = String(card.serial)
        /// Out and back in: the card forgets a verified PIN, so the next unlock must give it.
        func replug() throws {
            card.remove()
            card = try SimulatedCard.insert(stateFile: card.stateFile)
        }
        let pin = randomPIN()
        try h.ok(["yubikey", "change-pin", "--serial", s, "--pin-stdin"], stdin: "123456\n\(pin)\n")
        try h.ok(["init", "--for", "robo", "--via", "yubikey", "--serial", s, "--pin-policy", "once", "--touch-policy", "never", "--pin-stdin"], stdin: "\(pin)\n")
        let value = "robot-" + UUID().uuidString
        try replug()
        let set = try h.terminal(["set", "--for", "robo", "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure"],
                                 answers: [("value for", value), ("PIN", pin)], timeout: 120)
        XCTAssertEqual(set.status, 0, set.transcript)

        try replug()
        let none = try h.keyrack(["unlock", "--for", "robo", "--env", "test"])
        XCTAssertNotEqual(none.status, 0, "without a terminal or --pin-stdin there is no PIN: \(none)")
        let viaStdin = try h.keyrack(["unlock", "--for", "robo", "--env", "test", "--pin-stdin"], stdin: "\(pin)\n")
        print("unlock --pin-stdin -> exit \(viaStdin.status): \(viaStdin.out)\(viaStdin.err)")
        XCTAssertEqual(viaStdin.status, 0, "\(viaStdin)")
        XCTAssertEqual(try h.ok(["get", "--for", "robo", "--key", "acme.test.API", "--value"]).out, value)
        try h.ok(["relock", "--for", "robo"])

        // The PIN file's rule (the caller's, 0600, no symlink) is PINSource's, unit-tested in
        // Tests/KeyrackAppTests/Unlock/PINAnsweringTerminalTests.swift.
        let pinFile = h.machine.dir.file("robo.pin")
        try Data("\(pin)\n".utf8).write(to: pinFile)
        XCTAssertEqual(chmod(pinFile.path, 0o600), 0)
        try replug()
        let viaFile = try h.keyrack(["unlock", "--for", "robo", "--env", "test", "--pin-file", pinFile.path])
        XCTAssertEqual(viaFile.status, 0, "\(viaFile)")
        XCTAssertEqual(try h.ok(["get", "--for", "robo", "--key", "acme.test.API", "--value"]).out, value)
        try h.ok(["relock", "--for", "robo"])

        // Wrong PINs until it blocks: the last error names keyrack's own unblock command.
        try replug()
        var last: RunResult?
        for _ in 0..<3 {
            last = try h.keyrack(["unlock", "--for", "robo", "--env", "test", "--pin-stdin"], stdin: "999999\n")
            XCTAssertEqual(last?.status, 5, "\(String(describing: last))")
        }
        let blocked = try h.keyrack(["unlock", "--for", "robo", "--env", "test", "--pin-stdin"], stdin: "\(pin)\n")
        print("unlock with a blocked PIN -> exit \(blocked.status): \(blocked.err)")
        XCTAssertEqual(blocked.status, 5, "\(blocked)")
        XCTAssertTrue(blocked.err.contains("keyrack yubikey unblock-pin"), blocked.err)
    }

    func testInitWarnsAboutAPINNeverSlotForAnotherUIDAndDoctorSaysWhatPcscdEnforces() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let robot = try h.makeUser()
        let r = try h.ok(["init", "--for", "pinned", "--via", "yubikey", "--serial", String(card.serial), "--pin-policy", "never",
                          "--touch-policy", "never", "--uid", String(robot.uid), "--pin-stdin"], stdin: "123456\n")
        print("init --pin-policy never --uid \(robot.uid): \(r.err)")
        XCTAssertTrue(r.err.contains("warning: 'pinned' gets a PIN-never slot while pcscd is built without polkit"), r.err)
        XCTAssertTrue(r.err.contains("--pin-policy once") && r.err.contains("keyrack unlock --pin-file"), r.err)
        // The same policy for an owner of the caller's own uid: no warning.
        let mine = try h.ok(["init", "--for", "mine", "--via", "yubikey", "--serial", String(card.serial), "--pin-policy", "never",
                             "--touch-policy", "never", "--pin-stdin"], stdin: "123456\n")
        XCTAssertFalse(mine.err.contains("PIN-never slot"), mine.err)

        let doctor = try h.keyrack(["doctor", "--for", "mine"])
        print(doctor.out)
        XCTAssertTrue(doctor.out.contains("[warn] pcscd access: pcscd is built without polkit (socket /run/pcscd/pcscd.comm mode "), doctor.out)
    }
}
