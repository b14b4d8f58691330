import Foundation
import TestSupport
import XCTest

/// `keyrack doctor` against the built binary: a YubiKey owner on a simulated card (factory
/// secrets found, then fixed; card pulled out), and the --json and text shapes. The checks on
/// files, the daemon and the machine's features: KeyrackAppTests.DoctorChecksTests.
/// Card tests run inside scripts/with-simulated-yubikey.
final class DoctorTests: XCTestCase {
    struct Report: Decodable {
        struct Check: Decodable { var name: String, status: String, detail: String, fix: String? }
        var owner: String, ok: Bool, checks: [Check]
        func check(_ name: String) -> Check? { checks.first { $0.name == name } }
    }

    private func doctor(_ h: ManifestHarness, _ args: [String] = [], runtime: URL) throws -> (RunResult, Report) {
        let r = try h.keyrack(["doctor", "--json"] + args, env: ["XDG_RUNTIME_DIR": runtime.path])
        let report = try JSONDecoder().decode(Report.self, from: Data(r.stdout))
        return (r, report)
    }

    private func runtimeDir(_ h: ManifestHarness) throws -> URL {
        let url = h.dir.file("run")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return url
    }

    func testYubiKeyOwnerFactorySecretsThenFixedThenCardPulled() throws {
        let h = try ManifestHarness()
        let run = try runtimeDir(h)
        let card = try SimulatedCard.insert()
        let s = String(card.serial)
        try h.ok(["init", "--for", "robot-a", "--via", "yubikey", "--serial", s, "--pin-policy", "never", "--touch-policy", "never", "--pin-stdin"],
                 stdin: "123456\n")

        var (r, report) = try doctor(h, ["--for", "robot-a"], runtime: run)
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
        (r, report) = try doctor(h, ["--for", "robot-a"], runtime: run)
        XCTAssertEqual(r.status, 0, "all pass once PIN and PUK are changed: \(r)")
        XCTAssertTrue(report.ok)
        XCTAssertEqual(report.check("factory PIN")?.status, "pass", r.out)
        XCTAssertFalse(r.out.contains(pin) || r.out.contains(puk), "doctor never prints secrets")

        card.remove()
        (r, report) = try doctor(h, ["--for", "robot-a"], runtime: run)
        XCTAssertEqual(r.status, 1, r.description)
        let owned = try XCTUnwrap(report.check("owner's card"), r.out)
        XCTAssertEqual(owned.status, "fail")
        XCTAssertTrue(owned.detail.contains("\(s) of 'robot-a' is not plugged in"), owned.detail)
        XCTAssertTrue(owned.fix?.contains("plug in YubiKey \(s)") == true, owned.fix ?? "no fix")
    }

    /// The text report of the same verdict (its --json shape: KeyrackAppTests/Doctor/DoctorJSONTests.swift).
    func testTextReportOfAnUninitialisedOwnerAndAnInvalidName() throws {
        let h = try ManifestHarness()
        let run = try runtimeDir(h)
        let text = try h.keyrack(["doctor", "--for", "nobody-here"], env: ["XDG_RUNTIME_DIR": run.path])
        XCTAssertEqual(text.status, 1, text.description)
        XCTAssertTrue(text.out.contains("  [FAIL] owner: 'nobody-here' has no manifest"), text.out)
        XCTAssertTrue(text.out.contains("         fix: keyrack init --for nobody-here"), text.out)
        XCTAssertTrue(text.out.hasSuffix("check(s) failed\n"), text.out)

        let bad = try h.keyrack(["doctor", "--for", "../etc"])
        XCTAssertEqual(bad.status, 2, "an invalid owner name is a usage error: \(bad)")
    }
}
