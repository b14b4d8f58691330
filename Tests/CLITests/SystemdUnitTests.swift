import Foundation
import TestSupport
import XCTest

/// systemd/keyrack-daemon@.service: systemd's own checker accepts it (with the binary path
/// systemd/install writes), its hardening keeps systemd's exposure score low, and its ExecStart,
/// run as written (with %i and %t expanded) under the MemoryDenyWriteExecute restriction, starts
/// a daemon that serves the owner and stops cleanly. systemd-analyze comes from the `systemd`
/// package (scripts/install-deps); no running systemd is needed.
final class SystemdUnitTests: XCTestCase {
    private var unitSource: URL { Run.packageRoot.appendingPathComponent("systemd/keyrack-daemon@.service") }

    /// Installs the unit into a temp directory with systemd/install; returns it, its text and a
    /// private runtime directory beside it.
    private func install(into dir: TempDirectory) throws -> (URL, String, URL) {
        let unitDir = dir.file("units")
        let r = try Run.process(Run.packageRoot.appendingPathComponent("systemd/install").path,
                                ["--dir", unitDir.path, "--bin", Run.keyrackBinary])
        XCTAssertEqual(r.status, 0, "\(r)")
        let unit = unitDir.appendingPathComponent("keyrack-daemon@.service")
        let runtime = dir.file("run")
        try FileManager.default.createDirectory(at: runtime, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        return (unit, try String(contentsOf: unit, encoding: .utf8), runtime)
    }

    private func systemdAnalyze(_ args: [String], runtime: URL) throws -> RunResult {
        let tool = "/usr/bin/systemd-analyze"
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: tool), "systemd-analyze is missing: run scripts/install-deps")
        return try Run.process(tool, args, environment: ["XDG_RUNTIME_DIR": runtime.path, "SYSTEMD_LOG_COLOR": "0"])
    }

    func testSystemdAcceptsTheUnitAndItsHardening() throws {
        let dir = try TempDirectory("keyrack-systemd")
        defer { dir.remove() }
        let (unit, text, runtime) = try install(into: dir)
        XCTAssertTrue(text.contains("\nExecStart=\(URL(fileURLWithPath: Run.keyrackBinary).standardizedFileURL.path) daemon run --for %i --idle-timeout 0\n"), text)
        let instance = unit.deletingLastPathComponent().appendingPathComponent("keyrack-daemon@seaturtle.service").path

        let verify = try systemdAnalyze(["--user", "verify", instance], runtime: runtime)
        XCTAssertEqual(verify.status, 0, "\(verify)")
        XCTAssertEqual(verify.err, "", "systemd-analyze warns about the unit")

        // Exposure 0–10 (×10 for --threshold): the hardening must keep it at 2.0 or below.
        let security = try systemdAnalyze(["--user", "security", "--offline=true", "--threshold=20", instance], runtime: runtime)
        XCTAssertEqual(security.status, 0, "\(security)")
        XCTAssertTrue(security.out.contains("Overall exposure level for keyrack-daemon@seaturtle.service"), security.out)

        // The checker can fail: the unshipped path (no keyrack there) and an unknown key are refused.
        let broken = dir.file("broken")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: false)
        try Data(text.replacingOccurrences(of: Run.keyrackBinary, with: "/nonexistent/keyrack").utf8)
            .write(to: broken.appendingPathComponent("keyrack-daemon@.service"))
        let refused = try systemdAnalyze(["--user", "verify", broken.appendingPathComponent("keyrack-daemon@x.service").path], runtime: runtime)
        XCTAssertNotEqual(refused.status, 0, "\(refused)")
        XCTAssertTrue(refused.err.contains("/nonexistent/keyrack"), refused.err)
    }

    func testExecStartAsWrittenRunsTheOwnersDaemonUnderMemoryDenyWriteExecute() throws {
        let dir = try TempDirectory("keyrack-systemd-run")
        defer { dir.remove() }
        let (_, text, runtime) = try install(into: dir)

        // ExecStart and Environment exactly as systemd would expand them for instance `unitbot`.
        func value(_ key: String) throws -> String {
            let line = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix(key + "=") }, "no \(key)= in the unit")
            return String(line.dropFirst(key.count + 1)).replacingOccurrences(of: "%i", with: "unitbot")
                .replacingOccurrences(of: "%t", with: runtime.path)
        }
        let argv = try value("ExecStart").split(separator: " ").map(String.init)
        XCTAssertEqual(Array(argv.dropFirst()), ["daemon", "run", "--for", "unitbot", "--idle-timeout", "0"])
        let environment = try value("Environment")
        XCTAssertEqual(environment, "XDG_RUNTIME_DIR=\(runtime.path)")

        // What MemoryDenyWriteExecute=yes enforces, applied with prctl(PR_SET_MDWE) before exec;
        // and LimitCORE=0. A W+X mapping is refused under it (checked first: the guard works).
        let wrapper = try dir.write("mdwe.py", Array("""
            import ctypes, os, resource, sys
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(65, 1, 0, 0, 0) != 0:  # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN
                sys.exit("PR_SET_MDWE failed: errno %d" % ctypes.get_errno())
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            os.execv(sys.argv[1], sys.argv[1:])
            """.utf8))
        let wx = try Run.process("python3", [wrapper.path, "/usr/bin/python3", "-c",
                                             "import mmap; mmap.mmap(-1, 4096, prot=mmap.PROT_READ|mmap.PROT_WRITE|mmap.PROT_EXEC)"])
        XCTAssertNotEqual(wx.status, 0, "PR_SET_MDWE did not take effect: \(wx)")
        XCTAssertTrue(wx.err.contains("Permission denied"), wx.err)

        let env: [String: String?] = ["XDG_RUNTIME_DIR": runtime.path]
        let daemon = try Spawned("/usr/bin/env", ["XDG_RUNTIME_DIR=\(runtime.path)", "python3", wrapper.path] + argv)
        defer { daemon.terminate(); daemon.waitForExit() }

        // Poll (no sleep as synchronisation) until the unit's daemon answers.
        let status = try keyrackOnceAnswered(["daemon", "status", "--for", "unitbot", "--json"], environment: env, daemon: daemon)
        XCTAssertEqual(status.status, 0, "the daemon of the unit's ExecStart never answered: \(status)")
        XCTAssertTrue(status.out.contains("\"pid\":\(daemon.pid)"), "another daemon answered: \(status.out)")
        let socket = runtime.appendingPathComponent("keyrack/daemon.unitbot.sock").path
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: socket)[.posixPermissions] as? Int)
        XCTAssertEqual(mode, 0o600)

        // Guarded memory works under the restriction: put a grant, read it back.
        XCTAssertEqual(try Run.keyrack(["daemon", "bench", "--for", "unitbot", "--seed"], environment: env).status, 0)
        let got = try Run.keyrack(["get", "--for", "unitbot", "--key", "bench.test.BENCH_KEY", "--value"], environment: env)
        XCTAssertEqual(got.status, 0, "\(got)")
        XCTAssertEqual(got.stdout.count, 40)

        // What `systemctl stop` sends: SIGTERM. The daemon exits 0 and removes its socket.
        daemon.terminate()
        XCTAssertEqual(daemon.waitForExit(), 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: socket))
    }
}
