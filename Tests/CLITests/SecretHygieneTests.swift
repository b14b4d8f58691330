import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Where a secret must never be: the daemon's memory after relock, `ps`, the environment of
/// keyrack's own processes, the daemon log (error messages: KeyrackAppTests/Manifest/
/// FailedCommandHygieneTests.swift). Each test uses a fresh random value
/// and also checks a place where the value must be, so a scan that sees nothing cannot pass.
final class SecretHygieneTests: XCTestCase {
    /// Unlock + get put the value in the daemon; relock must leave no byte of it anywhere in the
    /// daemon's address space (read as root through /proc/PID/mem, guarded pages included).
    func testRelockLeavesNoCopyInTheDaemonsMemory() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let secrets = (0..<3).map { _ in randomSecret("mem") }
        try h.unlockedOwner("bot", secrets.enumerated().map { ("TOKEN_\($0)", $1) })
        for (i, s) in secrets.enumerated() {
            // Several gets, so the value crosses the daemon's reply path more than once.
            for _ in 0..<3 { XCTAssertEqual(try h.ok(["get", "--for", "bot", "--key", "acme.test.TOKEN_\(i)", "--value"]).out, s) }
        }
        let pid = try XCTUnwrap(h.daemonPID("bot"))

        // Control: while granted, the scan finds every value (in guarded memory).
        for s in secrets {
            let held = try processMemory(of: pid, contains: Array(s.utf8))
            XCTAssertTrue(held.found, "the scan did not find a granted value in \(held.bytesRead) bytes: it could not catch a leak either")
        }

        let relocked = try h.ok(["relock", "--for", "bot"])
        XCTAssertFalse(relocked.out.contains("mem-"), relocked.out)
        XCTAssertTrue(h.isAlive(pid), "the daemon must still run: relock wipes, it does not exit")
        for s in secrets {
            let after = try processMemory(of: pid, contains: Array(s.utf8))
            XCTAssertFalse(after.found, "a copy of the value survives relock in the daemon's memory (scanned \(after.bytesRead) bytes)")
        }
        XCTAssertEqual(try h.keyrack(["get", "--for", "bot", "--key", "acme.test.TOKEN_0", "--value"]).status, 3)
    }

    /// `ps -eo args`, sampled while set, unlock, get and exec run, never shows the value; the
    /// sampler did see each command (control). The daemon's environment never holds it, even
    /// when unlock read an os.envvar key from the caller's environment.
    func testNoSecretInPsOrInTheDaemonsEnvironment() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        try h.sshOwner("bot")
        let secret = randomSecret("ps"), envSecret = randomSecret("env")

        let sampler = PsSampler()
        sampler.start()
        try h.secure("bot", "TOKEN", secret)
        try h.ok(["set", "--for", "bot", "--key", "FROM_ENV", "--env", "test", "--org", "acme", "--vault", "os.envvar"])
        try h.ok(["unlock", "--for", "bot", "--env", "test"], env: ["FROM_ENV": envSecret])
        XCTAssertEqual(try h.ok(["get", "--for", "bot", "--key", "acme.test.TOKEN", "--value"]).out, secret)
        XCTAssertEqual(try h.ok(["get", "--for", "bot", "--key", "acme.test.FROM_ENV", "--value"]).out, envSecret)

        // exec: the child waits for a file, so the test inspects it while it runs.
        let go = h.machine.dir.file("go")
        let exec = try h.watched(["exec", "--for", "bot", "--env", "test", "--key", "acme.test.TOKEN", "--",
                                  "/bin/sh", "-c", "while [ ! -e \(go.path) ]; do sleep 0.01; done; echo done"])
        var child: Int32?
        XCTAssertTrue(exec.wait(seconds: 20) {
            // The command itself (keyrack execs it), not keyrack still holding it in its argv.
            child = ProcessTable.pids(commandLineContaining: go.path).first {
                String(decoding: (try? readProcFile("/proc/\($0)/cmdline")) ?? [], as: UTF8.self).hasPrefix("/bin/sh\0")
            }
            return child != nil
        }, "the exec'd command never appeared")
        if let child {
            let environ = Data((try? readProcFile("/proc/\(child)/environ")) ?? [])
            // Control: exec hands the value to the child through its environment, the one place it goes.
            XCTAssertNotNil(environ.range(of: Data(secret.utf8)), "exec did not pass TOKEN to the child")
        }
        sampler.sampleNow()
        FileManager.default.createFile(atPath: go.path, contents: Data())
        let done = exec.finish()
        XCTAssertEqual(done.status, 0, done.err)
        let seen = sampler.stop()

        // set/unlock/get are short; whether a sample caught them is reported, not asserted.
        print("ps samples: \(sampler.count); saw set: \(seen.contains("set --for bot")), unlock: \(seen.contains("unlock --for bot"))")
        XCTAssertTrue(seen.contains("exec --for bot"), "the sampler never saw `exec` running")
        XCTAssertTrue(seen.contains("daemon run"), "the sampler never saw the daemon")
        XCTAssertFalse(seen.contains(secret), "a value appeared in ps output")
        XCTAssertFalse(seen.contains(envSecret), "an os.envvar value appeared in ps output")

        let pid = try XCTUnwrap(h.daemonPID("bot"))
        let environ = Data(try readProcFile("/proc/\(pid)/environ"))
        XCTAssertFalse(environ.isEmpty, "the daemon's environment could not be read")
        XCTAssertNil(environ.range(of: Data(secret.utf8)))
        XCTAssertNil(environ.range(of: Data(envSecret.utf8)), "the daemon inherited the caller's os.envvar secret")
        XCTAssertNil(environ.range(of: Data("FROM_ENV=".utf8)), "the daemon inherited the caller's environment")
    }

    /// The daemon log, after a session of unlock, get, failed gets and relock, holds no value
    /// (and is not empty, so the check reads a real log).
    func testDaemonLogHoldsNoSecret() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let secret = randomSecret("log")
        try h.unlockedOwner("bot", [("TOKEN", secret)])
        XCTAssertEqual(try h.ok(["get", "--for", "bot", "--key", "acme.test.TOKEN", "--value"]).out, secret)
        XCTAssertEqual(try h.keyrack(["get", "--for", "bot", "--key", "acme.test.NOPE", "--value"]).status, 3)
        try h.ok(["relock", "--for", "bot"])
        try h.ok(["daemon", "stop", "--for", "bot"])
        let log = try Data(contentsOf: h.socketDirectory.appendingPathComponent("daemon.bot.log"))
        XCTAssertFalse(log.isEmpty, "the daemon wrote no log at all: nothing was checked")
        XCTAssertNil(log.range(of: Data(secret.utf8)), String(decoding: log, as: UTF8.self))
    }
}

/// Runs `ps -eo args` back to back on a background thread and keeps every output.
private final class PsSampler: @unchecked Sendable {
    private let lock = NSLock()
    private var outputs: [String] = []
    private var running = false
    private let finished = DispatchSemaphore(value: 0)

    func start() {
        running = true
        Thread.detachNewThread { [self] in
            while lock.withLock({ running }) { sampleNow() }
            finished.signal()
        }
    }

    func sampleNow() {
        let out = (try? Run.process("/bin/ps", ["-eo", "args"]).out) ?? ""
        lock.withLock { outputs.append(out) }
    }

    var count: Int { lock.withLock { outputs.count } }

    func stop() -> String {
        lock.withLock { running = false }
        finished.wait()
        return lock.withLock { outputs.joined(separator: "\n") }
    }
}
