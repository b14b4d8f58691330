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

    func testUnlockMintsAnInstallationTokenCappedAtItsExpiry() throws {
        let set = try setApp("GITHUB_TOKEN")
        XCTAssertEqual(set.status, 0, "\(set)")
        XCTAssertEqual(set.out, "keyrack set: created acme.prod.GITHUB_TOKEN for owner robot (vault os.secure, mech EPHEMERAL_VIA_GITHUB_APP)\n")
        XCTAssertFalse(set.out.contains("PRIVATE KEY") || set.err.contains("PRIVATE KEY"), "the key is never echoed")
        XCTAssertEqual(try setApp("NARROW_TOKEN", ["--repositories", "api,web", "--permissions", "contents:read,issues:write"]).status, 0)

        let unlocked = try h.keyrack(["unlock", "--for", "robot", "--env", "prod"], env: api)
        XCTAssertEqual(unlocked.status, 0, "\(unlocked)")
        XCTAssertTrue(unlocked.err.contains("note: acme.prod.GITHUB_TOKEN is capped to the credential's own expiry"), unlocked.err)
        let log = try requests()
        XCTAssertEqual(log.count, 2, "\(log)")
        let minted = log.compactMap { $0["token"] as? String }
        XCTAssertEqual(minted.count, 2, "both requests got 201: \(log)")
        let token = try h.ok(["get", "--for", "robot", "--key", "GITHUB_TOKEN", "--env", "prod", "--value"]).out
        XCTAssertTrue(token.hasPrefix("ghs_") && minted.contains(token), "the token GitHub minted: \(token)")
        XCTAssertFalse(unlocked.out.contains(token) || unlocked.err.contains(token))

        // The JWT, as PyJWT read it: RS256, iss the app id, iat 60 s back, exp within 10 minutes.
        let now = Int(Date().timeIntervalSince1970)
        for request in log {
            XCTAssertEqual((request["header"] as? [String: Any])?["alg"] as? String, "RS256")
            let claims = try XCTUnwrap(request["claims"] as? [String: Any], "\(request)")
            XCTAssertEqual(claims["iss"] as? Int, 424242)
            let iat = try XCTUnwrap(claims["iat"] as? Int), exp = try XCTUnwrap(claims["exp"] as? Int)
            XCTAssertTrue((now - 90...now - 55).contains(iat), "iat \(iat), now \(now)")
            XCTAssertTrue(exp - iat <= 600 && exp > now, "exp \(exp), iat \(iat)")
            XCTAssertEqual(request["path"] as? String, "/app/installations/777/access_tokens")
            XCTAssertEqual(request["accept"] as? String, "application/vnd.github+json")
            XCTAssertEqual(request["apiVersion"] as? String, "2022-11-28")
        }
        let bodies = log.map { $0["body"] as? [String: Any] }
        XCTAssertEqual(bodies.compactMap { $0 }.count, 1, "only the narrowed key sends a body: \(bodies)")
        let narrowed = try XCTUnwrap(bodies.compactMap { $0 }.first)
        XCTAssertEqual(narrowed["repositories"] as? [String], ["api", "web"])
        XCTAssertEqual(narrowed["permissions"] as? [String: String], ["contents": "read", "issues": "write"])

        // The stand-in's token lives 2400 s: so does the grant, not the 9 h an unlock asks by default.
        let status = try ManifestHarness.json(try h.ok(["status", "--for", "robot", "--json"]))
        for key in try XCTUnwrap(status["keys"] as? [[String: Any]]) {
            XCTAssertTrue((2300...2400).contains(try XCTUnwrap(key["remainingSeconds"] as? Int)), "\(key)")
        }
        try h.ok(["relock", "--for", "robot"])
        XCTAssertEqual(try h.keyrack(["get", "--for", "robot", "--key", "GITHUB_TOKEN", "--env", "prod", "--value"]).status, 3)
    }

    func testWrongKeyUnknownInstallationAndPlainHTTPStayLockedWithTheReason() throws {
        XCTAssertEqual(try setApp("WRONG_KEY", pem: "other").status, 0)
        XCTAssertEqual(try setApp("WRONG_INSTALLATION", installation: "778").status, 0)
        let r = try h.keyrack(["unlock", "--for", "robot", "--env", "prod"], env: api)
        XCTAssertEqual(r.status, 3, "\(r)")
        XCTAssertTrue(r.err.contains("warning: acme.prod.WRONG_KEY stays locked: GitHub App 424242 installation 777: GitHub refused the app's JWT (401: A JSON web token could not be decoded)"), r.err)
        XCTAssertTrue(r.err.contains("warning: acme.prod.WRONG_INSTALLATION stays locked: GitHub App 424242 installation 778: not found (404: Not Found): check the installation id"), r.err)
        XCTAssertEqual(try requests().map { $0["status"] as? Int }.sorted { ($0 ?? 0) < ($1 ?? 0) }, [401, 404])

        let plain = try h.keyrack(["unlock", "--for", "robot", "--env", "prod", "--key", "WRONG_KEY"], env: ["GITHUB_API_URL": "http://github.example.com"])
        XCTAssertTrue(plain.err.contains("GITHUB_API_URL 'http://github.example.com' is not an https:// URL (plain http is allowed to loopback only)"), plain.err)

        // Nothing listens on port 1: the connection's own reason, and the key stays locked.
        let refused = try h.keyrack(["unlock", "--for", "robot", "--env", "prod", "--key", "WRONG_KEY"], env: ["GITHUB_API_URL": "http://127.0.0.1:1"])
        XCTAssertTrue(refused.err.contains("acme.prod.WRONG_KEY stays locked: GitHub App 424242 installation 777: cannot reach http://127.0.0.1:1: connection refused"), refused.err)
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

    /// A hostile API's `message` reaches the terminal escaped, on the warning's one line.
    func testAHostileAPIsMessageIsEscapedOnOneLine() throws {
        let hostile = try LoopbackServer { _ in
            LoopbackServer.json(status: 401, #"{"message":"\u001b]0;PWNED\u0007\u001b[2J\r\nwarning: forged"}"#)
        }
        defer { hostile.stop() }
        XCTAssertEqual(try setApp("GITHUB_TOKEN").status, 0)
        let r = try h.keyrack(["unlock", "--for", "robot", "--env", "prod"], env: ["GITHUB_API_URL": hostile.address])
        XCTAssertEqual(r.status, 3, "\(r)")
        XCTAssertFalse(r.err.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7f..<0xa0).contains($0.value) }, r.err.debugDescription)
        XCTAssertTrue(r.err.contains(#"GitHub refused the app's JWT (401: \u{1b}]0;PWNED\u{7}\u{1b}[2J\u{d}\u{a}warning: forged)"#), r.err)
        XCTAssertEqual(r.err.split(separator: "\n").filter { $0.contains("GITHUB_TOKEN") }.count, 1, r.err)
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

    func testSetChecksTheAppsIdsAndKeyWithoutEchoingIt() throws {
        let before = try h.machine.snapshot()
        let notAKey = h.machine.dir.file("not-a-key.pem")
        try Data("-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----\n".utf8).write(to: notAKey)
        let bad = try h.keyrack(["set", "--for", "robot", "--key", "T", "--env", "prod", "--org", "acme", "--vault", "os.secure", "--mech", "EPHEMERAL_VIA_GITHUB_APP",
                                 "--app-id", appID, "--installation-id", installationID, "--private-key", notAKey.path])
        XCTAssertEqual(bad.status, 2, "\(bad)")
        XCTAssertTrue(bad.err.contains("the GitHub App key is not an RSA private key of 2048 bits or more in PEM"), bad.err)
        XCTAssertFalse(bad.err.contains("bm90IGEga2V5"))
        // A bad app id, a missing key file, the ids asked in order: GitHubAppKeyInputTests (KeyrackAppTests).
        let misplaced = try h.keyrack(["set", "--for", "robot", "--key", "T", "--env", "prod", "--org", "acme", "--vault", "os.envvar", "--app-id", appID])
        XCTAssertEqual(misplaced.status, 2)
        XCTAssertTrue(misplaced.err.contains("--app-id is only used with --vault os.secure --mech EPHEMERAL_VIA_GITHUB_APP"), misplaced.err)
        let vault = try h.keyrack(["set", "--for", "robot", "--key", "T", "--env", "prod", "--org", "acme", "--vault", "os.envvar", "--mech", "EPHEMERAL_VIA_GITHUB_APP"])
        XCTAssertEqual(vault.status, 2)
        XCTAssertTrue(vault.err.contains("mech EPHEMERAL_VIA_GITHUB_APP needs --vault os.secure"), vault.err)
        let perms = try setApp("T", ["--permissions", "contents:everything"])
        XCTAssertEqual(perms.status, 2)
        XCTAssertTrue(perms.err.contains("invalid --permissions 'contents:everything'"), perms.err)
        XCTAssertEqual(try h.machine.snapshot(), before, "a refused set changes nothing")
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
