import Foundation
import TestSupport
import XCTest

/// `keyrack doctor` against the built binary: a YubiKey owner on a simulated card (factory
/// secrets found, then fixed; card pulled out), firmware 5.7 (X25519, AES factory key, pcscd
/// --auto-exit), and the text report. The checks on
/// files, the daemon and the machine's features: KeyrackAppTests.DoctorChecksTests.
/// Card tests run inside scripts/with-simulated-yubikey.
final class DoctorTests: XCTestCase {
    struct Report: Decodable {
        struct Check: Decodable { var name: String, status: String, detail: String, fix: String? }
        var owner: String, ok: Bool, checks: [Check]
        func check(_ name: String) -> Check? { checks.first { $0.name == name } }
    }

    private func doctor(_ h: DaemonHarness, for owner: String) throws -> (RunResult, Report) {
        let r = try h.keyrack(["doctor", "--json", "--for", owner])
        return (r, try JSONDecoder().decode(Report.self, from: Data(r.stdout)))
    }

    func testYubiKeyOwnerFactorySecretsThenFixedThenCardPulled() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let card = try SimulatedCard.insert()
        let s = String(card.serial)
        try h.ok(["init", "--for", "robot-a", "--via", "yubikey", "--serial", s, "--pin-policy", "never", "--touch-policy", "never", "--pin-stdin"],
                 stdin: "123456\n")

        var (r, report) = try doctor(h, for: "robot-a")
        XCTAssertEqual(r.status, 1, "factory PIN and PUK are failures: \(r)")
        XCTAssertEqual(report.owner, "robot-a")
        XCTAssertFalse(report.ok)
        XCTAssertEqual(report.check("pcscd")?.status, "pass", r.out)
        XCTAssertTrue(report.check("cards")?.detail.contains(s) == true, "the card's serial is listed: \(r.out)")
        XCTAssertEqual(report.check("owner's card")?.status, "pass", r.out)
        XCTAssertEqual(report.check("factory PIN")?.status, "fail", r.out)
        XCTAssertEqual(report.check("factory PIN")?.fix, "keyrack yubikey change-pin --serial \(s)")
        XCTAssertEqual(report.check("factory PUK")?.status, "fail", r.out)
        XCTAssertEqual(report.check("factory management key")?.status, "pass", "init replaced the factory management key: \(r.out)")
        for c in report.checks where c.status == "fail" { XCTAssertNotNil(c.fix, "every failure has a fix: \(c)") }

        let pin = String(format: "%08d", Int.random(in: 0..<100_000_000)), puk = String(format: "%08d", Int.random(in: 0..<100_000_000))
        try h.ok(["yubikey", "change-pin", "--serial", s, "--pin-stdin"], stdin: "123456\n\(pin)\n")
        try h.ok(["yubikey", "change-puk", "--serial", s, "--pin-stdin"], stdin: "12345678\n\(puk)\n")
        (r, report) = try doctor(h, for: "robot-a")
        XCTAssertEqual(r.status, 0, "all pass once PIN and PUK are changed: \(r)")
        XCTAssertTrue(report.ok)
        XCTAssertEqual(report.check("factory PIN")?.status, "pass", r.out)
        XCTAssertFalse(r.out.contains(pin) || r.out.contains(puk), "doctor never prints secrets")

        card.remove()
        (r, report) = try doctor(h, for: "robot-a")
        XCTAssertEqual(r.status, 1, r.description)
        let owned = try XCTUnwrap(report.check("owner's card"), r.out)
        XCTAssertEqual(owned.status, "fail")
        XCTAssertTrue(owned.detail.contains("\(s) of 'robot-a' is not plugged in"), owned.detail)
        XCTAssertTrue(owned.fix?.contains("plug in YubiKey \(s)") == true, owned.fix ?? "no fix")
    }

    /// Firmware 5.7: an X25519 slot is recognised as the owner's key, the card's AES-192 factory
    /// management key is reported as a factory default, and pcscd's `--auto-exit` (Debian's unit)
    /// is named for a PIN-`once` owner.
    func testX25519OwnerAESFactoryKeyAndPcscdAutoExit() throws {
        let card = try SimulatedCard.insert(version: "5.7.1")
        defer { card.remove() }
        let s = String(card.serial)
        // A key made with ykman (PIN once) and taken as is: the factory AES-192 management key stays.
        let gen = try Run.process("ykman", ["--reader", card.reader, "piv", "keys", "generate", "-m",
                                            "010203040506070801020304050607080102030405060708", "-a", "X25519",
                                            "--pin-policy", "once", "--touch-policy", "never", "83", "-"])
        XCTAssertEqual(gen.status, 0, gen.description)
        let h = try DaemonHarness()
        defer { h.tearDown() }
        try h.ok(["init", "--for", "robot-x", "--via", "yubikey", "--algorithm", "x25519", "--serial", s, "--slot", "83"])

        var (r, report) = try doctor(h, for: "robot-x")
        XCTAssertEqual(report.check("owner's card")?.status, "pass", r.out)
        XCTAssertEqual(report.check("firmware")?.detail, "YubiKey \(s) runs 5.7.1 (it can hold X25519 slot keys)")
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
        (r, report) = try doctor(h, for: "robot-x")
        let autoExit = try XCTUnwrap(report.check("pcscd auto-exit"), r.out)
        XCTAssertEqual(autoExit.status, "fail", r.out)
        XCTAssertEqual(autoExit.detail, "the running pcscd runs with --auto-exit: 60 s after the last use pcscd exits, the card powers down "
                       + "and forgets the PIN, so 'robot-x' (PIN policy once) is asked for it again")
        XCTAssertTrue(autoExit.fix?.contains("/etc/systemd/system/pcscd.service.d/keyrack.conf") == true, autoExit.fix ?? "")
        XCTAssertEqual(r.status, 1)
    }

    /// The text report of the same verdict (its --json shape: KeyrackAppTests/Doctor/DoctorJSONTests.swift).
    func testTextReportOfAnUninitialisedOwnerAndAnInvalidName() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let text = try h.keyrack(["doctor", "--for", "nobody-here"])
        XCTAssertEqual(text.status, 1, text.description)
        XCTAssertTrue(text.out.contains("  [FAIL] owner: 'nobody-here' has no manifest"), text.out)
        let initialise = "keyrack init --for nobody-here --via yubikey (or --via tpm / --via ssh / --via age)"
        XCTAssertTrue(text.out.contains("         fix: \(initialise)\n"), text.out)
        XCTAssertTrue(text.out.hasSuffix("check(s) failed\n"), text.out)
        // The library's typed remedy, worded by the CLI once for the text and `--json` alike.
        let (_, report) = try doctor(h, for: "nobody-here")
        XCTAssertEqual(report.check("owner")?.fix, initialise)

        let bad = try h.keyrack(["doctor", "--for", "../etc"])
        XCTAssertEqual(bad.status, 2, "an invalid owner name is a usage error: \(bad)")
    }
}
