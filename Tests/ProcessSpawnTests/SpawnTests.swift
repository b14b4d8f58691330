import Glibc
import ProcessSpawn
import XCTest

/// The one spawner, against real programs (/bin/sh and its builtins).
final class SpawnTests: XCTestCase {
    private func sh(_ script: String, environment: [String]? = nil) -> Spawn {
        Spawn("/bin/sh", ["-c", script], environment: environment)
    }

    func testCapturesOutputErrorAndStatusApart() throws {
        let r = try sh("printf out; printf err >&2; exit 7").capture(timeout: 10).get()
        XCTAssertEqual(String(decoding: r.output, as: UTF8.self), "out")
        XCTAssertEqual(String(decoding: r.errorOutput, as: UTF8.self), "err")
        XCTAssertEqual(r.status, 7)
        XCTAssertFalse(r.timedOut)
    }

    /// Input arrives on stdin through a pipe; without it stdin is /dev/null (a prompt gets EOF).
    func testInputThroughAPipeElseDevNull() throws {
        let echoed = try sh("cat").capture(input: Array("a secret\n".utf8), timeout: 10).get()
        XCTAssertEqual(String(decoding: echoed.output, as: UTF8.self), "a secret\n")
        let none = try sh("read line; echo \"status $?\"").capture(timeout: 10).get()
        XCTAssertEqual(String(decoding: none.output, as: UTF8.self), "status 1\n")
    }

    /// More than a pipe holds on both streams at once: drained together, nothing blocks.
    func testLargeOutputOnBothStreams() throws {
        let r = try sh("head -c 300000 /dev/zero; head -c 200000 /dev/zero >&2").capture(timeout: 30).get()
        XCTAssertEqual(r.output.count, 300_000)
        XCTAssertEqual(r.errorOutput.count, 200_000)
        XCTAssertEqual(r.status, 0)
    }

    func testEnvironmentIsTheWholeEnvironmentWhenGiven() throws {
        let r = try sh("echo \"[$ONLY][$HOME]\"", environment: ["ONLY=1"]).capture(timeout: 10).get()
        XCTAssertEqual(String(decoding: r.output, as: UTF8.self), "[1][]\n")
    }

    func testDeadlineKillsTheProgram() throws {
        let started = Date()
        let r = try sh("sleep 30").capture(timeout: 0.3).get()
        XCTAssertTrue(r.timedOut)
        XCTAssertEqual(r.status, 128 + SIGKILL)
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    func testMissingProgramIsENOENT() {
        XCTAssertEqual(Spawn("/nonexistent/keyrack-test").run(), .failure(SpawnError(executable: "/nonexistent/keyrack-test", code: ENOENT)))
        var onPath = Spawn("keyrack-no-such-program-on-path")
        onPath.searchPath = true
        XCTAssertEqual(onPath.run(), .failure(SpawnError(executable: "keyrack-no-such-program-on-path", code: ENOENT)))
        XCTAssertEqual(SpawnError(executable: "x", code: ENOENT).description, "x: no such program")
    }

    /// A signal's end is reported as a shell does: 128 + the signal.
    func testSignalExitIsReportedAsAShellDoes() {
        XCTAssertEqual(sh("kill -TERM $$").run(), .success(128 + SIGTERM))
    }

    /// `defaultSignals`: what keyrack ignores, the program does not inherit.
    func testDefaultSignalsUndoWhatTheCallerIgnores() throws {
        signal(SIGINT, SIG_IGN)
        defer { signal(SIGINT, SIG_DFL) }
        let script = "grep SigIgn /proc/self/status"
        let inherited = try sh(script).capture(timeout: 10).get()
        var reset = sh(script)
        reset.defaultSignals = true
        let restored = try reset.capture(timeout: 10).get()
        func ignoresINT(_ r: Captured) -> Bool {
            let mask = UInt64(String(decoding: r.output, as: UTF8.self).split(separator: "\t").last!.trimmingCharacters(in: .whitespacesAndNewlines), radix: 16)!
            return mask & (1 << (UInt64(SIGINT) - 1)) != 0
        }
        XCTAssertTrue(ignoresINT(inherited))
        XCTAssertFalse(ignoresINT(restored))
    }

    /// stdout to a file opened in the child, stderr a copy of it: the daemon launcher's layout.
    func testFileAndDescriptorStreams() throws {
        let path = NSTemporaryDirectory() + "spawn-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
        defer { unlink(path) }
        var spawn = sh("echo one; echo two >&2")
        spawn.stdin = .null
        spawn.stdout = .file(path: path, flags: O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, mode: 0o600)
        spawn.stderr = .descriptor(STDOUT_FILENO)
        XCTAssertEqual(spawn.run(), .success(0))
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "one\ntwo\n")
        var info = stat()
        XCTAssertEqual(stat(path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
    }
}
