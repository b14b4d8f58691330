import Foundation
import TestSupport
import XCTest

/// EPHEMERAL_VIA_GITHUB_APP end to end: `set` takes the app's ids and .pem, `unlock` signs the
/// app's JWT and buys an installation token from a stand-in for GitHub's one endpoint
/// (Fixtures/github-token-endpoint: GitHub cannot run here and there is no network; the stand-in
/// keeps the documented contract and checks the JWT with PyJWT), and the grant ends when the
/// token does. Keys are made by Debian's openssl at test time.
final class GitHubAppTests: XCTestCase {
    private var h: DaemonHarness!
    private var endpoint: Spawned?
    private var port: UInt16 = 0
    private var requestLog: URL!
    private let appID = "424242", installationID = "777"

    override func setUpWithError() throws {
        h = try DaemonHarness()
        try h.sshOwner("robot")
        for name in ["app", "other"] {
            let pem = h.machine.dir.file("\(name).pem").path
            // -traditional: PKCS#1 ("BEGIN RSA PRIVATE KEY"), the form GitHub hands out.
            XCTAssertEqual(try Run.process("openssl", ["genrsa", "-traditional", "-out", pem, "2048"]).status, 0)
            XCTAssertEqual(try Run.process("openssl", ["rsa", "-in", pem, "-pubout", "-out", h.machine.dir.file("\(name).pub").path]).status, 0)
        }
        requestLog = h.machine.dir.file("requests.jsonl")
        let portFile = h.machine.dir.file("port")
        let server = try Spawned(try CloudServers.venvToolPath("python3"), [
            h.machine.fixtures.appendingPathComponent("github-token-endpoint").path, "--public-key", h.machine.dir.file("app.pub").path,
            "--app-id", appID, "--installation-id", installationID, "--port-file", portFile.path, "--log", requestLog.path,
            "--token-seconds", "2400"], stderrPath: h.machine.dir.file("endpoint.log").path)
        endpoint = server
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, server.isRunning, !FileManager.default.fileExists(atPath: portFile.path) { usleep(20_000) }
        port = UInt16((try? String(contentsOf: portFile, encoding: .utf8)) ?? "") ?? 0
        XCTAssertNotEqual(port, 0, "the stand-in did not start: \((try? String(contentsOf: h.machine.dir.file("endpoint.log"), encoding: .utf8)) ?? "")")
    }

    override func tearDown() {
        endpoint?.terminate()
        endpoint?.waitForExit()
        h?.tearDown()
    }

    private var api: [String: String?] { ["GITHUB_API_URL": "http://127.0.0.1:\(port)"] }

    private func setApp(_ key: String, pem: String = "app", installation: String? = nil, _ more: [String] = []) throws -> RunResult {
        try h.keyrack(["set", "--for", "robot", "--key", key, "--env", "prod", "--org", "acme", "--vault", "os.secure",
                       "--mech", "EPHEMERAL_VIA_GITHUB_APP", "--app-id", appID, "--installation-id", installation ?? installationID,
                       "--private-key", h.machine.dir.file("\(pem).pem").path] + more)
    }

    private func requests() throws -> [[String: Any]] {
        try String(contentsOf: requestLog, encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// The `ghs_` token ends with its grant: `DELETE /installation/token` (the token as Bearer,
    /// 204) at relock, before relock returns, and at expiry, by the daemon's process.
    func testTheInstallationTokenIsRevokedAtRelockAndAtExpiry() throws {
        XCTAssertEqual(try setApp("GITHUB_TOKEN").status, 0)
        func revoked() throws -> [String] {
            try requests().filter { $0["method"] as? String == "DELETE" && $0["status"] as? Int == 204 }.compactMap { $0["token"] as? String }
        }

        try h.ok(["unlock", "--for", "robot", "--env", "prod"], env: api)
        let first = try h.ok(["get", "--for", "robot", "--key", "GITHUB_TOKEN", "--env", "prod", "--value"]).out
        XCTAssertTrue(first.hasPrefix("ghs_"), first)
        XCTAssertEqual(try revoked(), [])
        try h.ok(["relock", "--for", "robot"])
        let afterRelock = try requests()
        XCTAssertEqual(try revoked(), [first], "revoked before relock returned: \(afterRelock)")
        XCTAssertEqual(try requests().last?["path"] as? String, "/installation/token")

        // A grant of 2 s: the daemon's sweep finds it expired and revokes its token.
        try h.ok(["unlock", "--for", "robot", "--env", "prod", "--duration", "2s"], env: api)
        let second = try XCTUnwrap(try requests().compactMap { $0["token"] as? String }.last { $0 != first })
        let deadline = Date().addingTimeInterval(15)
        while try !revoked().contains(second), Date() < deadline { usleep(50_000) }
        let afterExpiry = try requests()
        XCTAssertEqual(try revoked(), [first, second], "revoked at expiry: \(afterExpiry)")
        XCTAssertEqual(try h.keyrack(["get", "--for", "robot", "--key", "GITHUB_TOKEN", "--env", "prod", "--value"]).status, 3)
        let log = try String(contentsOf: h.socketDirectory.appendingPathComponent("daemon.robot.log"), encoding: .utf8)
        XCTAssertTrue(log.contains("revoked the credential of acme.prod.GITHUB_TOKEN"), log)
        XCTAssertFalse(log.contains(first) || log.contains(second), "no token in the daemon's log")
    }

    func testSetAsksForTheIdsAndKeyPathOnTheTerminal() throws {
        var env = h.machine.environment
        env["XDG_RUNTIME_DIR"] = h.runtime.path
        let pem = h.machine.dir.file("app.pem").path
        let r = try TerminalRun.run(Run.keyrackBinary, ["set", "--for", "robot", "--key", "GITHUB_TOKEN", "--env", "prod", "--org", "acme",
                                                        "--vault", "os.secure", "--mech", "EPHEMERAL_VIA_GITHUB_APP"],
                                    answers: [("GitHub App id: ", appID), ("installation id: ", installationID), ("private key (.pem): ", pem)],
                                    echoed: true, timeout: 60, environment: env)
        XCTAssertEqual(r.status, 0, r.transcript)
        XCTAssertTrue(r.transcript.contains("created acme.prod.GITHUB_TOKEN"), r.transcript)
        XCTAssertFalse(r.transcript.contains("PRIVATE KEY"), "the key is never echoed: \(r.transcript)")
        try h.ok(["unlock", "--for", "robot", "--env", "prod"], env: api)
        XCTAssertTrue(try h.ok(["get", "--for", "robot", "--key", "GITHUB_TOKEN", "--env", "prod", "--value"]).out.hasPrefix("ghs_"))
    }

    func testTheAppsSourceCanLiveIn1Password() throws {
        let pem = try String(contentsOf: h.machine.dir.file("app.pem"), encoding: .utf8)
        let source = try JSONSerialization.data(withJSONObject: ["appId": 424242, "installationId": 777, "privateKey": pem])
        try h.machine.opItem("op://robots/github-app/credential", value: String(decoding: source, as: UTF8.self))
        try h.machine.opItem("op://robots/not-an-app/credential", value: "ghs_plain")
        let refused = try h.keyrack(["set", "--for", "robot", "--key", "T", "--env", "prod", "--org", "acme", "--vault", "1password",
                                     "--exid", "robots/not-an-app", "--mech", "EPHEMERAL_VIA_GITHUB_APP"])
        XCTAssertEqual(refused.status, 2, "\(refused)")
        XCTAssertTrue(refused.err.contains("the GitHub App source is not JSON {appId, installationId, privateKey}"), refused.err)
        try h.ok(["set", "--for", "robot", "--key", "GITHUB_TOKEN", "--env", "prod", "--org", "acme", "--vault", "1password",
                  "--exid", "robots/github-app", "--mech", "EPHEMERAL_VIA_GITHUB_APP", "--repositories", "api"])
        try h.ok(["unlock", "--for", "robot", "--env", "prod"], env: api)
        let token = try h.ok(["get", "--for", "robot", "--key", "GITHUB_TOKEN", "--env", "prod", "--value"]).out
        XCTAssertEqual([token], try requests().compactMap { $0["token"] as? String })
        XCTAssertEqual((try requests().first?["body"] as? [String: Any])?["repositories"] as? [String], ["api"])
    }
}
