import Foundation
@testable import KeyrackApp
import KeyrackClient
import KeyrackCore
import KeyrackDaemon
import PIV
import TestSupport
import XCTest

/// `doctor --json` as the CLI prints it (DoctorJSON through JSONLine, the one encoder of every
/// `--json`), for an owner never initialised: the owner, the verdict, every check with the same
/// four fields, and the error object every failing command prints, whose fix is the init remedy
/// (worded here in the library's words: the CLI's, `keyrack init --for …`, are DoctorTests').
final class DoctorJSONTests: XCTestCase {
    func testJSONShapeOfAnUninitialisedOwner() throws {
        let dir = try TempDirectory("keyrack-doctor-json")
        defer { dir.remove() }
        let run = dir.file("run")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let probes = DoctorProbes(cards: { throw PIVError.pcscdNotRunning }, pcscdAccess: { (false, "pcscd is built with polkit") },
                                  pcscdAutoExit: { nil },
                                  sandbox: { SandboxReport(bubblewrap: .success("/usr/bin/bwrap"), version: "0.8.0", userNamespaceProblem: nil, pidfd: true, peerPidfd: true) },
                                  runtime: RuntimeDirectory(path: run.path))
        let checks = DoctorChecks(owner: "nobody-here", store: HostManifestStore(home: KeyrackHome(root: dir.file("kr"))), probes: probes).all()
        XCTAssertFalse(DoctorChecks.healthy(checks), "exit 1")
        let report = DoctorJSON(owner: "nobody-here", checks: checks.map { DoctorJSON.Check(name: $0.name, status: $0.status.rawValue, detail: $0.detail, fix: $0.fix?.words) })
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(JSONLine.encode(report).utf8)) as? [String: Any])

        XCTAssertEqual(Set(object.keys), ["owner", "ok", "checks", "error"])
        let error = try XCTUnwrap(object["error"] as? [String: Any])
        XCTAssertEqual(Set(error.keys), ["code", "exit", "message", "fix"])
        XCTAssertEqual(error["code"] as? String, "failure")
        XCTAssertEqual(error["exit"] as? Int, 1)
        XCTAssertTrue((error["message"] as? String)?.contains("owner") == true, "\(error)")
        XCTAssertEqual(error["fix"] as? String, DoctorRemedy.initialise(owner: "nobody-here").words, "\(error)")
        XCTAssertEqual(object["owner"] as? String, "nobody-here")
        XCTAssertEqual(object["ok"] as? Bool, false)
        let listed = try XCTUnwrap(object["checks"] as? [[String: Any]])
        XCTAssertFalse(listed.isEmpty)
        for c in listed {
            XCTAssertEqual(Set(c.keys), ["name", "status", "detail", "fix"], "\(c)")
            XCTAssertTrue(["pass", "warn", "fail", "skip"].contains(c["status"] as? String ?? ""), "\(c)")
        }
        let owner = try XCTUnwrap(listed.first { $0["name"] as? String == "owner" })
        XCTAssertEqual(owner["status"] as? String, "fail")
        XCTAssertEqual(owner["fix"] as? String, DoctorRemedy.initialise(owner: "nobody-here").words, "\(owner)")
    }
}
