import Foundation
import TestSupport
import XCTest

/// `keyrack doctor` for an owner on firmware 5.7: an X25519 slot is recognised as the owner's
/// key, the card's AES-192 factory management key is reported as a factory default, and pcscd's
/// `--auto-exit` (Debian's unit) is named for a PIN-`once` owner.
final class DoctorFirmware57Tests: XCTestCase {
    struct Report: Decodable {
        struct Check: Decodable { var name: String, status: String, detail: String, fix: String? }
        var ok: Bool, checks: [Check]
        func check(_ name: String) -> Check? { checks.first { $0.name == name } }
    }

    func doctor(_ h: ManifestHarness, owner: String) throws -> (RunResult, Report) {
        let run = h.dir.file("run")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let r = try h.keyrack(["doctor", "--json", "--for", owner], env: ["XDG_RUNTIME_DIR": run.path])
        return (r, try JSONDecoder().decode(Report.self, from: Data(r.stdout)))
    }

    func testX25519OwnerAESFactoryKeyAndPcscdAutoExit() throws {
        let card = try SimulatedCard.insert(version: "5.7.1")
        defer { card.remove() }
        let s = String(card.serial)
        // A key made with ykman (PIN once) and taken as is: the factory AES-192 management key stays.
        let gen = try Run.process("ykman", ["--reader", card.reader, "piv", "keys", "generate", "-m",
                                            "010203040506070801020304050607080102030405060708", "-a", "X25519",
                                            "--pin-policy", "once", "--touch-policy", "never", "83", "-"])
        XCTAssertEqual(gen.status, 0, gen.description)
        let h = try ManifestHarness()
        try h.ok(["init", "--for", "robot-x", "--via", "yubikey", "--algorithm", "x25519", "--serial", s, "--slot", "83"])

        var (r, report) = try doctor(h, owner: "robot-x")
        XCTAssertEqual(report.check("owner's card")?.status, "pass", r.out)
        XCTAssertEqual(report.check("firmware")?.detail, "YubiKey \(s) runs 5.7.1 (X25519 slot keys: keyrack init --algorithm x25519)")
        let mk = try XCTUnwrap(report.check("factory management key"), r.out)
        XCTAssertEqual(mk.status, "fail", "the AES-192 factory key is a factory default: \(r.out)")
        XCTAssertEqual(mk.fix, "keyrack yubikey change-management-key --serial \(s)")
        XCTAssertEqual(report.check("pcscd auto-exit")?.status, "pass", "the test pcscd runs without --auto-exit: \(r.out)")
        XCTAssertEqual(report.check("pcscd auto-exit")?.detail, "the running pcscd keeps running when idle")

        // A pcscd started as Debian's unit starts it: named, with the drop-in as the fix.
        let dir = try TempDirectory("fake-pcscd")
        defer { dir.remove() }
        // Perl (Essential in Debian) under the name pcscd: one process that sleeps and dies on SIGTERM.
        let fake = dir.file("pcscd")
        try FileManager.default.copyItem(atPath: "/usr/bin/perl", toPath: fake.path)
        let p = Process()
        p.executableURL = fake
        p.arguments = ["-e", "sleep 60", "--", "--foreground", "--auto-exit"]
        try p.run()
        defer { p.terminate(); p.waitUntilExit() }
        let deadline = Date().addingTimeInterval(5)
        while (try? String(contentsOfFile: "/proc/\(p.processIdentifier)/comm", encoding: .utf8)) != "pcscd\n", Date() < deadline {
            usleep(10_000)
        }
        (r, report) = try doctor(h, owner: "robot-x")
        let autoExit = try XCTUnwrap(report.check("pcscd auto-exit"), r.out)
        XCTAssertEqual(autoExit.status, "fail", r.out)
        XCTAssertEqual(autoExit.detail, "the running pcscd runs with --auto-exit: 60 s after the last use pcscd exits, the card powers down "
                       + "and forgets the PIN, so 'robot-x' (PIN policy once) is asked for it again")
        XCTAssertTrue(autoExit.fix?.contains("/etc/systemd/system/pcscd.service.d/keyrack.conf") == true, autoExit.fix ?? "")
        XCTAssertEqual(r.status, 1)
    }
}
