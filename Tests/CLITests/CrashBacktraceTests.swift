import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Issue 24: the Swift runtime's crash backtracer, on by default on Linux, answers a SIGSEGV (which
/// any process of the same uid may send) or a crash by printing every register and the bytes
/// they point at, a value's first bytes among them, to stderr or the daemon's log. Every binary
/// that holds a secret takes it off from its first line (Hardening.disableCrashBacktracer): each
/// is caught holding a known random value (blocked on a full pipe, as ProcessHardeningTests
/// does), signalled, and must die of the signal having printed nothing.
final class CrashBacktraceTests: XCTestCase {
    private var h: DaemonHarness!
    private let value = "crash-" + UUID().uuidString

    override func setUpWithError() throws {
        h = try DaemonHarness()
        try h.unlockedOwner("bot", [("API", value)])
    }

    override func tearDown() { h.tearDown() }

    private var env: [String: String?] { h.environment.merging(["SWIFT_BACKTRACE": nil]) { $1 } }

    /// The front end's own `get` (linked static), keyrack-cli's `get` and `source` (exec'd by
    /// the front end), each blocked writing the value: SIGSEGV and SIGQUIT kill it silently.
    func testASignalledCommandHoldingAValuePrintsNoBacktrace() throws {
        let commands: [(String, [String])] = [
            (Run.keyrackBinary, ["get", "--for", "bot", "--key", "API", "--env", "test", "--value"]),
            (Run.keyrackCLIBinary, ["get", "--for", "bot", "--key", "API", "--env", "test", "--value"]),
            (Run.keyrackBinary, ["source", "--for", "bot", "--env", "test"]),
        ]
        for (binary, args) in commands {
            for signal in [SIGSEGV, SIGQUIT] {
                let what = "\(URL(fileURLWithPath: binary).lastPathComponent) \(args[0]) + signal \(signal)"
                let p = try Stalled(binary, args, environment: env, stderr: h.machine.dir.file("err-\(UUID().uuidString.prefix(6))"))
                XCTAssertTrue(p.waitUntil("pipe_write"), "\(what) never blocked on its output")
                XCTAssertEqual(p.kill(signal), signal, "\(what) did not die of the signal")
                assertSilent(p.stderrBytes, what)
            }
        }
    }

    /// `keyrack daemon run` as the systemd unit starts it (no SWIFT_BACKTRACE from a launcher):
    /// holding a grant, a SIGSEGV kills it and its log gets no backtrace and no value byte.
    func testASignalledDaemonLogsNoBacktrace() throws {
        let runtime = h.machine.dir.file("unit-run")
        try FileManager.default.createDirectory(at: runtime, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        var e = env
        e["XDG_RUNTIME_DIR"] = runtime.path
        let log = h.machine.dir.file("unit-daemon.log")
        var spawnEnv: [String: String] = [:]
        for (k, v) in e { if let v { spawnEnv[k] = v } }
        let daemon = try Spawned(Run.keyrackCLIBinary, ["daemon", "run", "--for", "unit", "--idle-timeout", "0"], environment: spawnEnv, stderrPath: log.path)
        defer { if daemon.isRunning { Glibc.kill(daemon.pid, SIGKILL) }; daemon.waitForExit() }
        let seeded = try keyrackOnceAnswered(["daemon", "bench", "--for", "unit", "--seed"], environment: e, daemon: daemon)
        XCTAssertEqual(seeded.status, 0, "\(seeded)")
        let got = try Run.keyrack(["get", "--for", "unit", "--key", "bench.test.BENCH_KEY", "--value"], environment: e)
        XCTAssertEqual(got.status, 0, "\(got)")
        XCTAssertFalse(got.stdout.isEmpty)

        XCTAssertEqual(Glibc.kill(daemon.pid, SIGSEGV), 0)
        let gone = Date().addingTimeInterval(20)
        while daemon.isRunning && Date() < gone { usleep(10_000) }
        if daemon.isRunning {
            XCTFail("the daemon outlived the SIGSEGV (the runtime's backtracer resumes a process only sent the signal)")
            Glibc.kill(daemon.pid, SIGKILL)
        } else {
            XCTAssertEqual(daemon.waitForExit(), 128 + SIGSEGV, "the daemon did not die of the signal")
        }
        let logged = try Array(Data(contentsOf: log))
        assertSilent(logged, "the daemon's log", value: got.stdout)

        // A daemon `unlock` starts gets no backtracer from its runtime at all.
        let pid = try XCTUnwrap(h.daemonPID("bot"))
        let environ = try Array(Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ")))
        XCTAssertTrue(environ.split(separator: 0).contains { $0.elementsEqual("SWIFT_BACKTRACE=enable=no".utf8) },
                      String(decoding: environ.map { $0 == 0 ? 0x0a : $0 }, as: UTF8.self))
    }

    /// age-plugin-keyrack, started by an age client with no say over its environment, waiting
    /// for the client's first stanza: a SIGSEGV kills it silently.
    func testASignalledAgePluginPrintsNoBacktrace() throws {
        let plugin = Run.buildDirectory.appendingPathComponent("age-plugin-keyrack").path
        let p = try Stalled(plugin, ["--age-plugin=identity-v1"], environment: env, blocksOn: .input, stderr: h.machine.dir.file("plugin-err"))
        XCTAssertTrue(p.waitUntil("pipe_read"), "the plugin never waited for its client")
        XCTAssertEqual(p.kill(SIGSEGV), SIGSEGV, "the plugin did not die of the signal")
        assertSilent(p.stderrBytes, "age-plugin-keyrack")
    }

    /// Nothing at all on stderr: no "Program crashed" banner, no registers, no memory, and so no
    /// run of 6 or more bytes of the value, as text or as the hex a memory dump would show.
    private func assertSilent(_ bytes: [UInt8], _ what: String, value: [UInt8]? = nil, file: StaticString = #filePath, line: UInt = #line) {
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertFalse(text.contains("crashed") || text.contains("Backtrac") || text.contains("rip ") || text.contains("Thread 0"),
                       "\(what) printed a backtrace:\n\(text.prefix(2000))", file: file, line: line)
        let secret = value ?? Array(self.value.utf8)
        for start in 0...(secret.count - 6) {
            let window = Array(secret[start..<start + 6])
            let hex = window.map { String(format: "%02x", $0) }.joined()
            XCTAssertFalse(text.contains(String(decoding: window, as: UTF8.self)) || text.lowercased().contains(hex),
                           "\(what) printed bytes of the value", file: file, line: line)
        }
        if value == nil { XCTAssertEqual(text, "", "\(what) printed something", file: file, line: line) }
    }
}
