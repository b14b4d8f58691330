import Foundation
import TestSupport
import XCTest

/// Issue 10, item 3: every command that holds a decrypted manifest, a value or a private key is
/// non-dumpable and core-less, as the daemon is. Each one is caught blocked on a full pipe (as a
/// `list` of 1 500 values once was, when a same-uid `gcore` read them all), and checked from
/// outside: the kernel hands /proc/<pid>/mem and environ to root when a process is not dumpable, its core limit
/// is 0, and the same uid can no longer read its memory.
final class ProcessHardeningTests: XCTestCase {
    private var h: DaemonHarness!

    override func setUpWithError() throws { h = try DaemonHarness() }
    override func tearDown() { h.tearDown() }

    func testEverySecretHoldingCommandIsUndumpableWhileBlocked() throws {
        let user = try h.makeUser()
        chmod(h.machine.dir.path, 0o711)
        let home = h.machine.dir.file("u-home").path
        try AsUser.directory(home, owner: user, mode: 0o700)
        try AsUser.directory(home + "/run", owner: user, mode: 0o700)
        let env = ["HOME": home, "KEYRACK_HOME": home + "/kr", "XDG_RUNTIME_DIR": home + "/run"]
        let backup = try Run.process("age-keygen", [])
        let backupKey = try XCTUnwrap(backup.out.split(separator: "\n").first { $0.hasPrefix("# public key: ") }).dropFirst("# public key: ".count)
        defer { _ = try? AsUser.run(user, Run.keyrackBinary, ["daemon", "stop"], env: env) }

        // `age decrypt` with an X25519 key is answered by the front end itself (AgeFrontRun), the
        // identity's secret and the plaintext in its memory: 4 MiB, so it blocks on the full pipe.
        let ageKey = home + "/age-key.txt", ageFile = home + "/big.age"
        XCTAssertEqual(try Run.process("age-keygen", ["-o", ageKey]).status, 0)
        let ageRecipient = try Run.process("age-keygen", ["-y", ageKey]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(try Run.process("age", ["-r", ageRecipient, "-o", ageFile], stdin: randomBytes(4 << 20)).status, 0)
        chmod(ageKey, 0o644)
        chmod(ageFile, 0o644)

        let value = "hardening-" + UUID().uuidString
        let steps: [([String], String)] = [
            (["age", "decrypt", "-i", ageKey, ageFile], ""),
            (["init", "--via", "age"], ""),
            (["set", "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure"], value),
            (["list"], ""),
            (["recipient", "add", "--pubkey", String(backupKey), "--label", "paper"], ""),
            (["recipient", "list"], ""),
            (["unlock", "--env", "test"], ""),
            (["source", "--env", "test"], ""),
            (["exec", "--env", "test", "--", "/nonexistent/program"], ""),
            (["get", "--key", "API", "--env", "test", "--value"], ""),
            (["recipient", "remove", "--label", "paper"], ""),
            (["del", "--key", "API", "--env", "test", "--org", "acme"], ""),
        ]
        for (args, stdin) in steps {
            let what = "keyrack " + args.joined(separator: " ")
            let p = try Stalled(user, args, env: env, stdin: stdin)
            XCTAssertTrue(p.waitUntil("pipe_write"), "\(what) never blocked on its output")
            var st = stat()
            XCTAssertEqual(stat("/proc/\(p.pid)/mem", &st), 0)
            let limits = (try? String(contentsOfFile: "/proc/\(p.pid)/limits", encoding: .utf8)) ?? ""
            let core = limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") }.map(String.init) ?? "?"
            let peek = try AsUser.run(user, "/bin/cat", ["/proc/\(p.pid)/environ"])
            print("\(what): /proc/\(p.pid)/mem owned by uid \(st.st_uid) (process uid \(user.uid)); \(core.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")); same-uid read of environ: exit \(peek.status) \(peek.err.trimmingCharacters(in: .whitespacesAndNewlines))")
            XCTAssertEqual(st.st_uid, 0, "\(what) is dumpable: its /proc/<pid>/mem belongs to its own uid")
            XCTAssertTrue(core.contains(" 0 "), "\(what): \(core)")
            XCTAssertNotEqual(peek.status, 0, "\(what): the same uid read its environ")
            XCTAssertTrue(peek.err.contains("Permission denied"), peek.err)
            let (status, out) = p.finish()
            XCTAssertFalse(out.isEmpty, "\(what) printed nothing")
            if args[0] == "exec" { XCTAssertEqual(status, 127, out) } else { XCTAssertEqual(status, 0, "\(what): \(out)") }
            if args[0] == "source" || args[0] == "get" { XCTAssertTrue(out.contains(value), out) }
        }
    }

    /// `exec` hands the program it runs the core limit the user had, not keyrack's own 0.
    func testExecRestoresTheUsersCoreLimitForTheProgram() throws {
        try h.unlockedOwner("bot", [("API", "v")])
        let mine = try Run.process("/bin/sh", ["-c", "ulimit -S -c 1024; exec /bin/sh -c 'ulimit -c'"])
        let viaExec = try Run.process("/bin/sh", ["-c", "ulimit -S -c 1024; exec \"$0\" exec --for bot --env test --key API -- /bin/sh -c 'ulimit -c'", Run.keyrackBinary],
                                      environment: h.environment)
        XCTAssertEqual(mine.out, "1024\n")
        XCTAssertEqual(viaExec.out, mine.out, "\(viaExec)")
    }
}
