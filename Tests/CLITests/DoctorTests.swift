import Foundation
import TestSupport
import XCTest

/// `keyrack doctor` against the built binary: a YubiKey owner on a simulated card (factory
/// secrets found, then fixed; card pulled out), a loosened file mode, and the --json shape.
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

    func testLoosenedModesAreFoundWithTheirFix() throws {
        let h = try ManifestHarness()
        let run = try runtimeDir(h)
        try h.sshKey("id_ed25519")
        try h.ok(["init", "--via", "ssh"])
        let home = h.keyrackHome.path, manifest = h.keyrackHome.appendingPathComponent("host.human.yml.age").path

        var r = try h.keyrack(["doctor"], env: ["XDG_RUNTIME_DIR": run.path])
        XCTAssertEqual(r.status, 0, "a fresh ssh owner is healthy: \(r)")
        XCTAssertTrue(r.out.contains("all checks passed"), r.out)

        XCTAssertEqual(chmod(manifest, 0o644), 0)
        XCTAssertEqual(chmod(home, 0o755), 0)
        r = try h.keyrack(["doctor"], env: ["XDG_RUNTIME_DIR": run.path])
        XCTAssertEqual(r.status, 1, r.description)
        XCTAssertTrue(r.out.contains("has mode 644, looser than 600"), r.out)
        XCTAssertTrue(r.out.contains("fix: chmod 600 \(manifest)"), r.out)
        XCTAssertTrue(r.out.contains("fix: chmod 700 \(home)"), r.out)
        XCTAssertTrue(r.out.contains("2 check(s) failed"), r.out)

        // Following the printed fixes makes doctor pass again.
        XCTAssertEqual(chmod(manifest, 0o600), 0)
        XCTAssertEqual(chmod(home, 0o700), 0)
        let (again, report) = try doctor(h, [], runtime: run)
        XCTAssertEqual(again.status, 0, again.description)
        XCTAssertTrue(report.ok)
        XCTAssertEqual(Set(report.checks.map(\.status)).subtracting(["pass", "skip", "warn"]), [], again.out)
    }

    func testJSONShapeAndUninitialisedOwner() throws {
        let h = try ManifestHarness()
        let run = try runtimeDir(h)
        let r = try h.keyrack(["doctor", "--for", "nobody-here", "--json"], env: ["XDG_RUNTIME_DIR": run.path])
        XCTAssertEqual(r.status, 1, r.description)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout)) as? [String: Any], r.out)
        XCTAssertEqual(Set(object.keys), ["owner", "ok", "checks", "error"])
        // A failing doctor carries the error object every failing command prints.
        let error = try XCTUnwrap(object["error"] as? [String: Any])
        XCTAssertEqual(Set(error.keys), ["code", "exit", "message", "fix"])
        XCTAssertEqual(error["code"] as? String, "failure")
        XCTAssertEqual(error["exit"] as? Int, 1)
        XCTAssertTrue((error["message"] as? String)?.contains("owner") == true, "\(error)")
        XCTAssertTrue((error["fix"] as? String)?.hasPrefix("keyrack init --for nobody-here") == true, "\(error)")
        XCTAssertEqual(object["owner"] as? String, "nobody-here")
        XCTAssertEqual(object["ok"] as? Bool, false)
        let checks = try XCTUnwrap(object["checks"] as? [[String: Any]])
        XCTAssertFalse(checks.isEmpty)
        for c in checks {
            XCTAssertEqual(Set(c.keys), ["name", "status", "detail", "fix"], "\(c)")
            XCTAssertTrue(["pass", "warn", "fail", "skip"].contains(c["status"] as? String ?? ""), "\(c)")
        }
        let owner = try XCTUnwrap(checks.first { $0["name"] as? String == "owner" })
        XCTAssertEqual(owner["status"] as? String, "fail")
        XCTAssertTrue((owner["fix"] as? String)?.hasPrefix("keyrack init --for nobody-here") == true, "\(owner)")

        let bad = try h.keyrack(["doctor", "--for", "../etc"])
        XCTAssertEqual(bad.status, 2, "an invalid owner name is a usage error: \(bad)")
    }
}
