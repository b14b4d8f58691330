import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Where a secret must never be: the daemon's memory after relock, `ps`, the environment of
/// keyrack's own processes, the daemon log, error messages. Each test uses a fresh random value
/// and also checks a place where the value must be, so a scan that sees nothing cannot pass.
final class SecretHygieneTests: XCTestCase {
    /// Unlock + get put the value in the daemon; relock must leave no byte of it anywhere in the
    /// daemon's address space (read as root through /proc/PID/mem, guarded pages included).
    func testRelockLeavesNoCopyInTheDaemonsMemory() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        try h.sshOwner("bot")
        let secrets = (0..<3).map { _ in randomSecret("mem") }
        for (i, s) in secrets.enumerated() {
            try h.ok(["set", "--for", "bot", "--key", "TOKEN_\(i)", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: s)
        }
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
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
        try h.ok(["set", "--for", "bot", "--key", "TOKEN", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: secret)
        try h.ok(["set", "--for", "bot", "--key", "FROM_ENV", "--env", "test", "--org", "acme", "--vault", "os.envvar"])
        try h.ok(["unlock", "--for", "bot", "--env", "test"], env: ["FROM_ENV": envSecret])
        XCTAssertEqual(try h.ok(["get", "--for", "bot", "--key", "acme.test.TOKEN", "--value"]).out, secret)
        XCTAssertEqual(try h.ok(["get", "--for", "bot", "--key", "acme.test.FROM_ENV", "--value"]).out, envSecret)

        // exec: the child waits for a file, so the test inspects it while it runs.
        let go = h.machine.dir.file("go")
        var env = h.machine.environment
        env["XDG_RUNTIME_DIR"] = h.runtime.path
        let exec = try WatchedProcess(Run.keyrackBinary, ["exec", "--for", "bot", "--env", "test", "--key", "acme.test.TOKEN", "--",
                                                          "/bin/sh", "-c", "while [ ! -e \(go.path) ]; do sleep 0.01; done; echo done"],
                                      environment: env, cwd: h.machine.dir.url)
        var child: Int32?
        XCTAssertTrue(exec.wait(seconds: 20) {
            // The command itself (keyrack execs it), not keyrack still holding it in its argv.
            child = pids().first {
                let cmdline = String(decoding: (try? readProcFile("/proc/\($0)/cmdline")) ?? [], as: UTF8.self)
                return cmdline.hasPrefix("/bin/sh\0") && cmdline.contains(go.path)
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
        try h.sshOwner("bot")
        let secret = randomSecret("log")
        try h.ok(["set", "--for", "bot", "--key", "TOKEN", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: secret)
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        XCTAssertEqual(try h.ok(["get", "--for", "bot", "--key", "acme.test.TOKEN", "--value"]).out, secret)
        XCTAssertEqual(try h.keyrack(["get", "--for", "bot", "--key", "acme.test.NOPE", "--value"]).status, 3)
        try h.ok(["relock", "--for", "bot"])
        try h.ok(["daemon", "stop", "--for", "bot"])
        let log = try Data(contentsOf: h.socketDirectory.appendingPathComponent("daemon.bot.log"))
        XCTAssertFalse(log.isEmpty, "the daemon wrote no log at all: nothing was checked")
        XCTAssertNil(log.range(of: Data(secret.utf8)), String(decoding: log, as: UTF8.self))
    }

    /// Commands that fail after the value was read or decrypted never print it.
    func testFailedCommandsNeverPrintTheSecret() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        try h.machine.ok(["init", "--via", "age"])
        let identity = h.machine.keyrackHome.appendingPathComponent("identities/human.txt")
        let secret = randomSecret("err")
        try h.ok(["set", "--key", "TOKEN", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: secret)
        var failures: [(String, RunResult)] = []

        // set: the value is read from stdin, then the manifest turns out not to open (it was
        // re-encrypted to someone else), which is found only after the read.
        let good = try Data(contentsOf: h.machine.manifest("human"))
        let other = h.machine.dir.file("other.txt")
        XCTAssertEqual(try Run.process("age-keygen", ["-o", other.path]).status, 0)
        let otherPub = try Run.process("age-keygen", ["-y", other.path]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        let foreign = try Run.process("age", ["-r", otherPub, "-a", "-o", h.machine.manifest("human").path, "/dev/null"])
        XCTAssertEqual(foreign.status, 0, "\(foreign)")
        failures.append(("set into a manifest it cannot open", try h.keyrack(["set", "--key", "NEW", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: secret)))
        try Data(good).write(to: h.machine.manifest("human"))

        // A manifest that decrypts but whose YAML is wrong right where the value is: the parser's
        // message must name the place, not quote the value.
        let plain = try h.machine.ageDecrypt("human", identity: identity).out
        XCTAssertTrue(plain.contains(secret), "control: the value is in the decrypted manifest")
        let recipient = try Run.process("age-keygen", ["-y", identity.path]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        for (label, broken) in [
            ("value as a sequence", plain.replacingOccurrences(of: "acme.test.TOKEN: \(secret)", with: "acme.test.TOKEN: [\(secret)]")),
            ("value under a bad slug", plain.replacingOccurrences(of: "acme.test.TOKEN: \(secret)", with: "not a slug \(secret): \(secret)")),
            ("value with a bad indent", plain.replacingOccurrences(of: "  acme.test.TOKEN: \(secret)", with: "  acme.test.TOKEN: \(secret)\n bad: \(secret)")),
            ("value in an unterminated quote", plain.replacingOccurrences(of: "acme.test.TOKEN: \(secret)", with: "acme.test.TOKEN: \"\(secret)")),
        ] {
            XCTAssertNotEqual(broken, plain, label)
            let file = try h.machine.dir.write("broken.yml", Array(broken.utf8))
            XCTAssertEqual(try Run.process("age", ["-r", recipient, "-a", "-o", h.machine.manifest("human").path, file.path]).status, 0)
            failures.append(("unlock, \(label)", try h.keyrack(["unlock", "--env", "test"])))
            failures.append(("list, \(label)", try h.keyrack(["list"])))
            failures.append(("set, \(label)", try h.keyrack(["set", "--key", "NEW", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: secret)))
        }
        try Data(good).write(to: h.machine.manifest("human"))

        // unlock decrypts, then cannot reach a daemon (the runtime directory is a file).
        let blocker = try h.machine.dir.write("not-a-dir", [])
        failures.append(("unlock with no usable runtime directory", try h.keyrack(["unlock", "--env", "test"], env: ["XDG_RUNTIME_DIR": blocker.path])))
        // get/exec with nothing unlocked.
        failures.append(("get while locked", try h.keyrack(["get", "--key", "acme.test.TOKEN", "--value"])))
        failures.append(("exec while locked", try h.keyrack(["exec", "--env", "test", "--key", "acme.test.TOKEN", "--", "/bin/true"])))

        for (what, r) in failures {
            XCTAssertNotEqual(r.status, 0, "\(what) should fail: \(r)")
            XCTAssertFalse(r.err.isEmpty, "\(what): no message")
            XCTAssertFalse(r.err.contains(secret) || r.out.contains(secret), "\(what) printed the secret: \(r)")
            XCTAssertFalse(r.err.contains(String(secret.suffix(16))), "\(what) printed part of the secret: \(r)")
        }
        XCTAssertEqual(try h.machine.ageDecrypt("human", identity: identity).status, 0)
    }
}

/// Every pid in /proc.
private func pids() -> [Int32] {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
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
