import Foundation
import TestSupport
import XCTest

/// `keyrack` is a Foundation-free front end that answers `get` itself and execs `keyrack-cli` for
/// everything else. Users must not be able to tell which one answered: for every outcome of `get`
/// (locked, absent, expired, granted, allowlisted-absent, denied, refused, usage) both print the
/// same bytes on stdout and stderr and exit with the same code.
///
/// The front end under test is a lone copy of `keyrack` in a directory without `keyrack-cli`, so
/// a `get` it delegated instead of answering would fail, and the comparison could not pass by
/// comparing keyrack-cli with itself.
final class FrontEndAgreementTests: XCTestCase {
    private var h: DaemonHarness!
    private var lone: URL!

    override func setUpWithError() throws {
        h = try DaemonHarness()
        // World-readable (0755) so the denied case can run it as another user.
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("keyrack-front-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        lone = dir.appendingPathComponent("keyrack")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: Run.keyrackBinary), to: lone)
    }

    override func tearDown() {
        h.tearDown()
        try? FileManager.default.removeItem(at: lone.deletingLastPathComponent())
    }

    private func environment(_ extra: [String: String?]) -> [String: String?] {
        var e = h.machine.environment
        e["XDG_RUNTIME_DIR"] = h.runtime.path
        for (k, v) in extra { e[k] = v }
        return e
    }

    /// Runs `get args` with the lone front end and with keyrack-cli; asserts they agree.
    @discardableResult
    private func agree(_ args: [String], cwd: URL? = nil, env: [String: String?] = [:],
                       file: StaticString = #filePath, line: UInt = #line) throws -> RunResult {
        let dir = cwd ?? h.machine.dir.url
        let front = try Run.process(lone.path, ["get"] + args, environment: environment(env), currentDirectory: dir)
        let full = try Run.process(Run.keyrackCLIBinary, ["get"] + args, environment: environment(env), currentDirectory: dir)
        assertSame(front, full, args, file: file, line: line)
        return front
    }

    private func assertSame(_ front: RunResult, _ full: RunResult, _ args: [String], file: StaticString, line: UInt) {
        let what = "get \(args.joined(separator: " "))\nfront end: \(front)\nkeyrack-cli: \(full)"
        XCTAssertEqual(front.status, full.status, what, file: file, line: line)
        XCTAssertEqual(front.stdout, full.stdout, what, file: file, line: line)
        XCTAssertEqual(front.stderr, full.stderr, what, file: file, line: line)
    }

    func testFrontEndAndFullCLIAgreeOnEveryOutcomeOfGet() throws {
        try h.sshOwner("bot")
        for (key, env, value) in [("API", "test", "api-value"), ("API", "prod", "api-prod"), ("LISTED", "test", "listed-value"),
                                  ("UNLISTED", "test", "unlisted-value"), ("LEGACY", "test", "ghp_" + String(repeating: "x", count: 36)),
                                  ("BYTES", "test", "caf\u{e9} \"q\"\n\t")] {
            try h.ok(["set", "--for", "bot", "--key", key, "--env", env, "--org", "acme", "--vault", "os.secure"], stdin: value)
        }

        // Locked: no daemon yet.
        let locked = try agree(["--for", "bot", "--key", "API", "--env", "test", "--value"])
        XCTAssertEqual(locked.status, 3)
        XCTAssertTrue(locked.err.contains("is locked, or was never set (no daemon runs, so only unlock can tell): run `keyrack unlock --for bot --env test --key API`"), locked.err)

        try h.ok(["unlock", "--for", "bot", "--env", "test", "--duration", "2h"])
        try h.ok(["unlock", "--for", "bot", "--env", "prod", "--key", "API", "--duration", "2h"])

        // Granted, in each output form (the status line says minutes left: equal unless a
        // minute boundary falls between the two runs, so that one is retried once).
        XCTAssertEqual(try agree(["--for", "bot", "--key", "acme.test.API", "--value"]).out, "api-value")
        XCTAssertEqual(try agree(["--for=bot", "--key=API", "--env=prod", "--value"]).out, "api-prod")
        let json = try agree(["--json", "--for", "bot", "--key", "BYTES", "--env", "test"])
        XCTAssertTrue(json.out.hasPrefix("{\"status\":\"granted\",\"owner\":\"bot\",\"slug\":\"acme.test.BYTES\""), json.out)
        XCTAssertTrue(json.out.hasSuffix(",\"value\":\"caf\u{e9} \\\"q\\\"\\n\\t\"}\n"), json.out)
        let statusArgs = ["--for", "bot", "--key", "acme.test.API"]
        var front = try Run.process(lone.path, ["get"] + statusArgs, environment: environment([:]), currentDirectory: h.machine.dir.url)
        var full = try Run.process(Run.keyrackCLIBinary, ["get"] + statusArgs, environment: environment([:]), currentDirectory: h.machine.dir.url)
        if front.stdout != full.stdout {
            front = try Run.process(lone.path, ["get"] + statusArgs, environment: environment([:]), currentDirectory: h.machine.dir.url)
            full = try Run.process(Run.keyrackCLIBinary, ["get"] + statusArgs, environment: environment([:]), currentDirectory: h.machine.dir.url)
        }
        assertSame(front, full, statusArgs, file: #filePath, line: #line)
        XCTAssertTrue(front.out.hasPrefix("acme.test.API: granted to 'bot' from os.secure, expires in 1h5"), front.out)

        // Absent, ambiguous, a slug whose env conflicts, the firewall and its override.
        XCTAssertTrue(try agree(["--for", "bot", "--key", "acme.test.NOPE", "--value"]).err.contains("'bot' has no key acme.test.NOPE"))
        XCTAssertEqual(try agree(["--for", "bot", "--key", "API"]).status, 2)
        XCTAssertEqual(try agree(["--for", "bot", "--key", "acme.test.API", "--env", "prod"]).status, 2)
        let refused = try agree(["--for", "bot", "--key", "acme.test.LEGACY", "--value"])
        XCTAssertEqual(refused.status, 3)
        XCTAssertFalse(refused.err.contains("ghp_x"), refused.err)
        XCTAssertTrue(try agree(["--for", "bot", "--key", "acme.test.LEGACY", "--value", "--allow-dangerous"]).out.hasPrefix("ghp_"))

        // Inside a repository: the allowlist, a nested directory, and a broken file.
        let repo = h.machine.dir.file("repo")
        let nested = repo.appendingPathComponent("src/deep")
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".agent"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        let manifest = repo.appendingPathComponent(".agent/keyrack.yml")
        try Data("org: acme\nenv.test:\n  - LISTED\n  - {key: BYTES}\n".utf8).write(to: manifest)
        XCTAssertEqual(try agree(["--for", "bot", "--key", "LISTED", "--env", "test", "--value"], cwd: nested).out, "listed-value")
        let unlisted = try agree(["--for", "bot", "--key", "UNLISTED", "--env", "test", "--value"], cwd: nested)
        XCTAssertEqual(unlisted.status, 3)
        XCTAssertTrue(unlisted.err.contains("'bot' has no key acme.test.UNLISTED"), unlisted.err)
        XCTAssertEqual(try agree(["--for", "bot", "--key", "acme.test.UNLISTED", "--value"], cwd: repo).status, 3)
        try Data("org: acme\nenv.test: [LISTED\n".utf8).write(to: manifest)
        let broken = try agree(["--for", "bot", "--key", "LISTED", "--env", "test", "--value"], cwd: nested)
        XCTAssertEqual(broken.status, 2)
        XCTAssertTrue(broken.err.contains("keyrack.yml is not valid"), broken.err)
        try Data("org: Not An Org\n".utf8).write(to: manifest)
        XCTAssertEqual(try agree(["--for", "bot", "--key", "LISTED", "--env", "test"], cwd: repo).status, 2)

        // Expired: a 1 s grant, polled (no sleep as synchronisation) until the front end says so.
        try h.ok(["set", "--for", "bot", "--key", "SHORT", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "short")
        try h.ok(["unlock", "--for", "bot", "--env", "test", "--key", "SHORT", "--duration", "1s"])
        let deadline = Date().addingTimeInterval(10)
        var expired: RunResult?
        while Date() < deadline {
            let r = try Run.process(lone.path, ["get", "--for", "bot", "--key", "acme.test.SHORT", "--value"], environment: environment([:]), currentDirectory: h.machine.dir.url)
            if r.status != 0 { expired = r; break }
            usleep(50_000)
        }
        XCTAssertEqual(expired?.status, 3, "\(String(describing: expired))")
        let again = try agree(["--for", "bot", "--key", "acme.test.SHORT", "--value"])
        XCTAssertTrue(again.err.contains("the grant of acme.test.SHORT for 'bot' has expired"), again.err)
    }

    func testAnotherUIDIsDeniedAlikeByBoth() throws {
        try h.sshOwner("bot")
        try h.ok(["set", "--for", "bot", "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "secret-api")
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        let stranger = try h.makeUser()
        chmod(h.machine.dir.path, 0o711); chmod(h.runtime.path, 0o711)
        let args = ["get", "--for", "bot", "--key", "acme.test.API", "--value"]
        func asStranger(_ binary: String) throws -> RunResult {
            try Run.process("/usr/bin/setpriv", ["--reuid=\(stranger.uid)", "--regid=\(stranger.gid)", "--clear-groups", binary] + args,
                            environment: environment([:]), currentDirectory: URL(fileURLWithPath: "/"))
        }
        let front = try asStranger(lone.path), full = try asStranger(Run.keyrackCLIBinary)
        assertSame(front, full, args, file: #filePath, line: #line)
        XCTAssertEqual(front.status, 4, "\(front)")
        XCTAssertFalse(front.err.contains("secret-api"))
    }

    /// What the front end does not answer itself (help, usage errors, other commands) it hands,
    /// argv unchanged, to keyrack-cli: the pair in the build directory prints what keyrack-cli does.
    func testFrontEndDelegatesEverythingElse() throws {
        for args in [["get", "--key", "K", "--value", "--json"], ["get", "--key"], ["get", "--help"], ["get", "--key", "K", "--key", "L"],
                     ["get", "--for", "Bad/Owner", "--key", "K"], ["get", "--key", "K", "--env", "BAD.ENV"], ["--version"], ["status", "--for", "ghost", "--json"]] {
            let front = try h.keyrack(args)
            let full = try Run.process(Run.keyrackCLIBinary, args, environment: environment([:]), currentDirectory: h.machine.dir.url)
            assertSame(front, full, args, file: #filePath, line: #line)
        }
        XCTAssertEqual(try h.keyrack(["get", "--key", "K", "--value", "--json"]).status, 2)
        // The lone copy has no keyrack-cli beside it: other commands fail with the fix, exit 1.
        let lost = try Run.process(lone.path, ["status"], environment: environment([:]), currentDirectory: h.machine.dir.url)
        XCTAssertEqual(lost.status, 1, "\(lost)")
        XCTAssertTrue(lost.err.contains("keyrack-cli must be installed next to keyrack"), lost.err)
    }

    /// `get --json` failures: both binaries print the same `{"error":…}` object on stdout and the
    /// same line on stderr, for the codes the fast path can meet.
    func testFrontEndAndFullCLIAgreeOnJSONErrors() throws {
        try h.sshOwner("bot")
        for key in ["API", "LEGACY"] {
            try h.ok(["set", "--for", "bot", "--key", key, "--env", "test", "--org", "acme", "--vault", "os.secure"],
                     stdin: key == "API" ? "api-value" : "ghp_" + String(repeating: "y", count: 36))
        }
        func error(_ r: RunResult) throws -> [String: Any] {
            XCTAssertEqual(r.out.filter { $0 == "\n" }.count, 1, "one JSON line: \(r)")
            return try XCTUnwrap(try ManifestHarness.json(r)["error"] as? [String: Any], r.description)
        }
        let locked = try agree(["--json", "--for", "bot", "--key", "acme.test.API"])
        let l = try error(locked)
        XCTAssertEqual(l["code"] as? String, "locked")
        XCTAssertEqual(l["exit"] as? Int, 3)
        XCTAssertEqual(l["fix"] as? String, "keyrack unlock --for bot --env test --key API")
        XCTAssertEqual("error: " + (l["message"] as? String ?? "") + "\n", locked.err)

        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        XCTAssertEqual(try error(try agree(["--json", "--for", "bot", "--key", "acme.test.NOPE"]))["code"] as? String, "absent")
        let refused = try error(try agree(["--json", "--for", "bot", "--key", "acme.test.LEGACY"]))
        XCTAssertEqual(refused["code"] as? String, "refused")
        XCTAssertTrue(refused["fix"] is NSNull, "\(refused)")
        // Without --json a failure prints nothing on stdout.
        XCTAssertEqual(try agree(["--for", "bot", "--key", "acme.test.NOPE"]).out, "")

        // An owner never initialised: get (both binaries) and the full CLI's other commands word
        // the init step once (KeyrackClient's Fix.initialise), and --json's fix is its command.
        let ghost = try error(try agree(["--json", "--for", "ghost", "--key", "acme.test.API"]))
        XCTAssertEqual(ghost["code"] as? String, "absent")
        XCTAssertEqual(ghost["fix"] as? String, "keyrack init --for ghost")
        let initStep = "run `keyrack init --for ghost` (your ssh key; or --via yubikey|age)"
        XCTAssertTrue((ghost["message"] as? String)?.contains(initStep + ", then `keyrack set --for ghost --env test --key API`") == true, "\(ghost)")
        let list = try h.keyrack(["list", "--for", "ghost"])
        XCTAssertTrue(list.err.hasSuffix(": \(initStep) first\n"), list.err)

        // unlock with nothing to unlock: exit 3, the set command that adds a key.
        let nothing = try h.keyrack(["unlock", "--for", "bot", "--env", "prep"])
        XCTAssertEqual(nothing.status, 3, nothing.description)
        XCTAssertEqual(nothing.err, "error: 'bot' has no key in env prep: add it with `keyrack set --for bot --env prep --key KEY`\n")
    }

    /// The point of the front end: its `get` path maps nothing but itself. It is linked fully
    /// static (no dynamic section, so no loader, libstdc++ or Foundation to map), and no
    /// Foundation code is linked in either: no symbol of the module is in its table.
    func testFrontEndIsStaticAndHoldsNoFoundation() throws {
        let r = try Run.process("readelf", ["-d", Run.keyrackBinary])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.out.contains("There is no dynamic section"), r.out)
        XCTAssertFalse(r.out.contains("(NEEDED)"), r.out)
        let symbols = try Run.process("nm", [Run.keyrackBinary])
        XCTAssertEqual(symbols.status, 0, "\(symbols.err)")
        XCTAssertTrue(symbols.out.contains("swift_retain"), "nm shows the Swift runtime it holds; without it this check sees nothing")
        XCTAssertFalse(symbols.out.contains("10Foundation"), "a Foundation symbol is linked into the front end")
        // The whole symbol table: a release keyrack-cli exports nothing dynamically (--no-export-dynamic).
        let full = try Run.process("nm", [Run.keyrackCLIBinary])
        XCTAssertTrue(full.out.contains("10Foundation"), "keyrack-cli uses Foundation; if that changed, this check needs another witness")
    }
}
