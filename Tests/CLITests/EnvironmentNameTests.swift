import Foundation
import TestSupport
import XCTest

/// Issue 10, item 1, end to end: a BASH_ENV named with --key and --allow-dangerous is the only
/// way in, and a real bash then runs its hook. The refusals (unlocked keys, repository file,
/// every family by --key and --env-file) in-process: KeyrackAppTests/Output/EnvironmentNameTests.swift.
final class EnvironmentNameTests: XCTestCase {
    private var h: DaemonHarness!

    override func setUpWithError() throws { h = try DaemonHarness() }
    override func tearDown() { h.tearDown() }

    private func seed() throws -> URL {
        try h.sshOwner("bot")
        let hook = h.machine.dir.file("hook.sh")
        try Data("echo HOOK-RAN\n".utf8).write(to: hook)
        for (key, value) in [("API", "api-value"), ("BASH_ENV", hook.path), ("LD_PRELOAD", "/nonexistent/evil.so")] {
            try h.ok(["set", "--for", "bot", "--key", key, "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: value)
        }
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        return hook
    }

    func testExplicitKeyWithAllowDangerousIsTheOnlyWayIn() throws {
        let hook = try seed()
        let refused = try h.keyrack(["exec", "--for", "bot", "--env", "test", "--key", "BASH_ENV", "--", "/bin/bash", "-c", "echo body"])
        XCTAssertEqual(refused.status, 3, "\(refused)")
        XCTAssertEqual(refused.out, "")
        let allowed = try h.keyrack(["exec", "--for", "bot", "--env", "test", "--key", "BASH_ENV", "--allow-dangerous", "--", "/bin/bash", "-c", "echo body"])
        XCTAssertEqual(allowed.status, 0, "\(allowed)")
        XCTAssertEqual(allowed.out, "HOOK-RAN\nbody\n", "named and allowed, it is handed out")
        let source = try h.ok(["source", "--for", "bot", "--env", "test", "--key", "BASH_ENV", "--allow-dangerous"])
        XCTAssertEqual(source.out, "export BASH_ENV='\(hook.path)'\n")
        // Safe names pass as before, and a name the manifest does not hold is refused.
        XCTAssertEqual(try h.ok(["exec", "--for", "bot", "--env", "test", "--key", "API", "--", "/bin/sh", "-c", "printf %s \"$API\""]).out, "api-value")
        let unknown = try h.keyrack(["exec", "--for", "bot", "--env", "test", "--key", "NOT_IN_MANIFEST", "--", "/bin/true"])
        XCTAssertEqual(unknown.status, 3, "\(unknown)")
        XCTAssertTrue(unknown.err.contains("has no key"), unknown.err)
    }
}
