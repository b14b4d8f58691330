import Foundation
@testable import KeyrackApp
import KeyrackClient
import KeyrackCore
import TestSupport
import XCTest
import KeyrackNames

/// EPHEMERAL_VIA_GITHUB_APP in-process: the key made as `set` makes it (GitHubAppKeyInput, the
/// store), `unlock` signs the app's JWT and buys an installation token from the stand-in for
/// GitHub's endpoint (CLITests/Fixtures/github-token-endpoint, which checks the JWT with PyJWT
/// and logs every request), a fake daemon receiving the grants. A key that stays locked is an
/// UnlockEvent whose reason is the CLI's warning line.
final class GitHubAppUnlockTests: XCTestCase {
    private var bench: UnlockBench!
    private var owner: OwnerName!
    private var endpoint: Spawned?
    private var port: UInt16 = 0
    private var requestLog: URL!
    private let appID = "424242", installationID = "777"

    override func setUpWithError() throws {
        bench = try UnlockBench("keyrack-ghapp-unlock")
        owner = try bench.owner("robot")
        let dir = bench.dir
        for name in ["app", "other"] {
            // -traditional: PKCS#1 ("BEGIN RSA PRIVATE KEY"), the form GitHub hands out.
            XCTAssertEqual(try Run.process("openssl", ["genrsa", "-traditional", "-out", dir.file("\(name).pem").path, "2048"]).status, 0)
            XCTAssertEqual(try Run.process("openssl", ["rsa", "-in", dir.file("\(name).pem").path, "-pubout", "-out", dir.file("\(name).pub").path]).status, 0)
        }
        requestLog = dir.file("requests.jsonl")
        let portFile = dir.file("port")
        let fixture = Run.packageRoot.appendingPathComponent("Tests/CLITests/Fixtures/github-token-endpoint").path
        let server = try Spawned(try CloudServers.venvToolPath("python3"), [
            fixture, "--public-key", dir.file("app.pub").path, "--app-id", appID, "--installation-id", installationID,
            "--port-file", portFile.path, "--log", requestLog.path, "--token-seconds", "2400"], stderrPath: dir.file("endpoint.log").path)
        endpoint = server
        func written() -> UInt16? { UInt16((try? String(contentsOf: portFile, encoding: .utf8)) ?? "") }
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, server.isRunning, written() == nil { usleep(20_000) }
        port = try XCTUnwrap(written(), "the stand-in did not start: \((try? String(contentsOf: dir.file("endpoint.log"), encoding: .utf8)) ?? "")")
    }

    override func tearDown() {
        endpoint?.terminate()
        _ = endpoint?.waitForExit()
        bench?.remove()
    }

    private var api: [String: String] { ["GITHUB_API_URL": "http://127.0.0.1:\(port)"] }

    @discardableResult
    private func unlock(_ environment: [String: String], key: String? = nil) throws -> UnlockResult {
        try bench.unlock(owner, env: "prod", key: key, environment: environment)
    }

    /// `set … --mech EPHEMERAL_VIA_GITHUB_APP --app-id … --installation-id … --private-key …`.
    private func setApp(_ key: String, pem: String = "app", installation: String? = nil, options: [String: String] = [:]) throws {
        let input = GitHubAppKeyInput(appID: appID, installationID: installation ?? installationID, privateKeyPath: bench.dir.file("\(pem).pem").path)
        try input.check(vault: .osSecure, mech: .ephemeralViaGithubApp)
        let source = try input.source(userHome: bench.dir.url) { prompt, _ in XCTFail("asked \(prompt)"); return "" }
        try bench.set(owner, "acme.prod.\(key)", .osSecure, mech: .ephemeralViaGithubApp, value: String(decoding: source, as: UTF8.self), options: options)
    }

    private func requests() throws -> [[String: Any]] {
        try String(contentsOf: requestLog, encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    private var locked: [String: String] { bench.locked }
    private var daemon: FakeDaemon { bench.daemon }
    private var events: [UnlockEvent] { bench.events }

    private func slug(_ text: String) -> Slug { try! Slug(validating: text) }

    func testUnlockMintsAnInstallationTokenCappedAtItsExpiry() throws {
        try setApp("GITHUB_TOKEN")
        try setApp("NARROW_TOKEN", options: [KeyOptions.repositories: "api,web", KeyOptions.permissions: "contents:read,issues:write"])
        XCTAssertFalse(try String(contentsOf: bench.store.home.manifest(owner), encoding: .utf8).contains("PRIVATE KEY"), "the key is sealed in the manifest")

        try unlock(api)
        XCTAssertTrue(events.contains { if case .capped(slug("acme.prod.GITHUB_TOKEN"), .credentialExpiry) = $0 { return true } else { return false } },
                      "the CLI's note: capped to the credential's own expiry: \(events)")
        let log = try requests()
        XCTAssertEqual(log.count, 2, "\(log)")
        let minted = log.compactMap { $0["token"] as? String }
        XCTAssertEqual(minted.count, 2, "both requests got 201: \(log)")
        let token = String(decoding: try XCTUnwrap(daemon.granted.first { $0.slug == slug("acme.prod.GITHUB_TOKEN") }?.value), as: UTF8.self)
        XCTAssertTrue(token.hasPrefix("ghs_") && minted.contains(token), "the token GitHub minted: \(token)")

        // The JWT, as PyJWT read it: RS256, iss the app id, iat 60 s back, exp within 10 minutes.
        let now = Int(Date().timeIntervalSince1970)
        for request in log {
            XCTAssertEqual((request["header"] as? [String: Any])?["alg"] as? String, "RS256")
            let claims = try XCTUnwrap(request["claims"] as? [String: Any], "\(request)")
            XCTAssertEqual(claims["iss"] as? Int, 424242)
            let iat = try XCTUnwrap(claims["iat"] as? Int), exp = try XCTUnwrap(claims["exp"] as? Int)
            XCTAssertTrue((now - 90...now - 55).contains(iat), "iat \(iat), now \(now)")
            XCTAssertTrue(exp - iat <= 600 && exp > now - 5, "exp \(exp), iat \(iat)")
            XCTAssertEqual(request["path"] as? String, "/app/installations/777/access_tokens")
            XCTAssertEqual(request["accept"] as? String, "application/vnd.github+json")
            XCTAssertEqual(request["apiVersion"] as? String, "2022-11-28")
        }
        let bodies = log.map { $0["body"] as? [String: Any] }
        XCTAssertEqual(bodies.compactMap { $0 }.count, 1, "only the narrowed key sends a body: \(bodies)")
        let narrowed = try XCTUnwrap(bodies.compactMap { $0 }.first)
        XCTAssertEqual(narrowed["repositories"] as? [String], ["api", "web"])
        XCTAssertEqual(narrowed["permissions"] as? [String: String], ["contents": "read", "issues": "write"])

        // The stand-in's token lives 2400 s: so does the grant, not the 9 h an unlock asks by default
        // (2300 to 2400 whole seconds, as status shows it).
        XCTAssertEqual(daemon.granted.count, 2)
        for grant in daemon.granted {
            XCTAssertTrue((2_300_000...2_400_999).contains(grant.ttlMilliseconds), "\(grant.slug): \(grant.ttlMilliseconds)")
            XCTAssertEqual(grant.vault, "os.secure")
        }
    }

    func testWrongKeyUnknownInstallationAndPlainHTTPStayLockedWithTheReason() throws {
        try setApp("WRONG_KEY", pem: "other")
        try setApp("WRONG_INSTALLATION", installation: "778")
        XCTAssertThrowsError(try unlock(api)) { error in
            XCTAssertEqual((error as? CLIReportable)?.exitCode, 3, "\(error)")
        }
        XCTAssertTrue(locked["acme.prod.WRONG_KEY"]?.hasPrefix("GitHub App 424242 installation 777: GitHub refused the app's JWT (401: A JSON web token could not be decoded)") == true, "\(locked)")
        XCTAssertTrue(locked["acme.prod.WRONG_INSTALLATION"]?.hasPrefix("GitHub App 424242 installation 778: not found (404: Not Found): check the installation id") == true, "\(locked)")
        XCTAssertEqual(try requests().map { $0["status"] as? Int }.sorted { ($0 ?? 0) < ($1 ?? 0) }, [401, 404])

        bench.events = []
        XCTAssertThrowsError(try unlock(["GITHUB_API_URL": "http://github.example.com"], key: "WRONG_KEY"))
        XCTAssertTrue(locked["acme.prod.WRONG_KEY"]?.contains("GITHUB_API_URL 'http://github.example.com' is not an https:// URL (plain http is allowed to loopback only)") == true, "\(events)")

        // Nothing listens on port 1: the connection's own reason, and the key stays locked.
        bench.events = []
        XCTAssertThrowsError(try unlock(["GITHUB_API_URL": "http://127.0.0.1:1"], key: "WRONG_KEY"))
        XCTAssertTrue(locked["acme.prod.WRONG_KEY"]?.hasPrefix("GitHub App 424242 installation 777: cannot reach http://127.0.0.1:1: connection refused") == true, "\(locked)")
        XCTAssertTrue(daemon.log.isEmpty, "nothing granted, no daemon started")
    }

    /// A hostile API's `message` reaches the terminal escaped, on the warning's one line (the
    /// reason as Terminal.printError writes it: TextFormat.printable).
    func testAHostileAPIsMessageIsEscapedOnOneLine() throws {
        let hostile = try LoopbackServer { _ in
            LoopbackServer.json(status: 401, #"{"message":"\u001b]0;PWNED\u0007\u001b[2J\r\nwarning: forged"}"#)
        }
        defer { hostile.stop() }
        try setApp("GITHUB_TOKEN")
        XCTAssertThrowsError(try unlock(["GITHUB_API_URL": hostile.address])) { error in
            XCTAssertEqual((error as? CLIReportable)?.exitCode, 3, "\(error)")
        }
        let why = TextFormat.printable(try XCTUnwrap(locked["acme.prod.GITHUB_TOKEN"]))
        XCTAssertFalse(why.unicodeScalars.contains { $0.value < 0x20 || (0x7f..<0xa0).contains($0.value) }, why.debugDescription)
        XCTAssertTrue(why.contains(#"GitHub refused the app's JWT (401: \u{1b}]0;PWNED\u{7}\u{1b}[2J\u{d}\u{a}warning: forged)"#), why)
    }

    func testSetChecksTheAppsIdsAndKeyWithoutEchoingIt() throws {
        let manifest = try Data(contentsOf: bench.store.home.manifest(owner))
        let notAKey = bench.dir.file("not-a-key.pem")
        try Data("-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----\n".utf8).write(to: notAKey)
        XCTAssertThrowsError(try setApp("T", pem: "not-a-key")) { error in
            XCTAssertEqual((error as? KeyrackError)?.kind, .usage)
            XCTAssertTrue("\(error)".contains("the GitHub App key is not an RSA private key of 2048 bits or more in PEM"), "\(error)")
            XCTAssertFalse("\(error)".contains("bm90IGEga2V5"))
        }
        XCTAssertThrowsError(try KeySetRequest(slug: slug("acme.prod.T"), vault: .osEnvvar, exid: nil, mech: .ephemeralViaGithubApp, maxDuration: nil, value: [1])) { error in
            XCTAssertEqual((error as? KeyrackError)?.kind, .usage)
            XCTAssertTrue("\(error)".contains("mech EPHEMERAL_VIA_GITHUB_APP needs vault os.secure or 1password, not os.envvar"), "\(error)")
            XCTAssertEqual((error as? KeyrackError)?.remedy, .vaultFor(.ephemeralViaGithubApp))
        }
        XCTAssertThrowsError(try setApp("T", options: [KeyOptions.permissions: "contents:everything"])) { error in
            XCTAssertEqual((error as? KeyrackError)?.kind, .usage)
            XCTAssertEqual((error as? KeyrackError)?.problem, "invalid permissions 'contents:everything'")
            guard case .give(.permissions, _)? = (error as? KeyrackError)?.remedy else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try Data(contentsOf: bench.store.home.manifest(owner)), manifest, "a refused set changes nothing")
    }
}
