import Glibc
import ProcessSpawn
import XCTest

/// What the sandbox launcher needs of the one spawner: descriptors at fixed numbers, a process
/// group of its own, and a parent-death signal (a forked start), against real programs.
final class ForkSpawnTests: XCTestCase {
    private func sh(_ script: String, environment: [String]? = nil) -> Spawn {
        Spawn("/bin/sh", ["-c", script], environment: environment)
    }

    /// A pipe whose write end the child gets as descriptor `target`; returns what it wrote there.
    private func written(at target: Int32, by spawn: Spawn) throws -> (text: String, status: Int32) {
        var fds: [Int32] = [-1, -1]
        XCTAssertEqual(pipe(&fds), 0)
        // Above every target, as the sandbox launcher puts its ends (no dup2 overwrites another).
        let source = fcntl(fds[1], F_DUPFD_CLOEXEC, 100)
        close(fds[1])
        var spawn = spawn
        spawn.descriptors = [Spawn.Descriptor(source: source, target: target)]
        let started = spawn.start()
        close(source)
        defer { close(fds[0]) }
        let pid = try started.get()
        var bytes: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 256)
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return (String(decoding: bytes, as: UTF8.self), Spawn.wait(pid))
    }

    /// posix_spawn's start: the copy is at its number, and the child leads its own group.
    func testDescriptorAtAFixedNumberAndAProcessGroupOfItsOwn() throws {
        var spawn = sh("read -r _ _ _ _ group _ < /proc/$$/stat; echo \"$$ $group\" >&7; exit 3")
        spawn.processGroup = true
        let r = try written(at: 7, by: spawn)
        let fields = r.text.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        XCTAssertEqual(fields.count, 2, r.text)
        XCTAssertEqual(fields.first, fields.last, "pid and process group are one: \(r.text)")
        XCTAssertNotEqual(fields.last, String(getpgrp()), "not the test's own group")
        XCTAssertEqual(r.status, 3)

        let inGroup = try written(at: 7, by: sh("read -r _ _ _ _ group _ < /proc/$$/stat; echo \"$group\" >&7"))
        XCTAssertEqual(inGroup.text, "\(getpgrp())\n", "without processGroup the child stays in the caller's group")
    }

    /// A parent-death signal forks: the kernel holds it for the program after its exec
    /// (python asks the kernel with PR_GET_PDEATHSIG); descriptors and groups as posix_spawn's.
    func testParentDeathSignalIsSetForTheProgram() throws {
        var spawn = Spawn("/usr/bin/python3", ["-c", """
            import ctypes, os
            s = ctypes.c_int(0)
            ctypes.CDLL(None).prctl(2, ctypes.byref(s), 0, 0, 0)
            os.write(7, f"{s.value} {os.getpid() == os.getpgid(0)}".encode())
            """])
        spawn.parentDeathSignal = SIGKILL
        spawn.processGroup = true
        let r = try written(at: 7, by: spawn)
        XCTAssertEqual(r.text, "\(SIGKILL) True")
        XCTAssertEqual(r.status, 0)

        var without = spawn
        without.parentDeathSignal = nil
        XCTAssertEqual(try written(at: 7, by: without).text, "0 True", "posix_spawn's child has none")
    }

    /// The forked start answers as posix_spawn does: the exit code, standard streams, the whole
    /// environment when one is given, and ENOENT when there is no such program.
    func testForkedStartReportsLikePosixSpawn() throws {
        var spawn = sh("echo \"[$ONLY][$HOME]\"; read line; echo \"read $?\" >&2; exit 4", environment: ["ONLY=1"])
        spawn.parentDeathSignal = SIGTERM
        let r = try spawn.capture(timeout: 10).get()
        XCTAssertEqual(String(decoding: r.output, as: UTF8.self), "[1][]\n")
        XCTAssertEqual(String(decoding: r.errorOutput, as: UTF8.self), "read 1\n", "stdin is /dev/null")
        XCTAssertEqual(r.status, 4)

        var missing = Spawn("/nonexistent/keyrack-test")
        missing.parentDeathSignal = SIGKILL
        XCTAssertEqual(missing.run(), .failure(SpawnError(executable: "/nonexistent/keyrack-test", code: ENOENT)))
        // A name to look up on PATH is refused: execvp may allocate between fork and exec.
        var onPath = Spawn("sh", ["-c", "true"])
        onPath.searchPath = true
        onPath.parentDeathSignal = SIGKILL
        XCTAssertEqual(onPath.run(), .failure(SpawnError(executable: "sh", code: EINVAL)))
    }

    /// `defaultSignals`: what the caller ignores (SIGPIPE, SIGCHLD here) is back at its default
    /// in the program, on both paths.
    func testDefaultSignalsUndoWhatTheCallerIgnores() throws {
        let previousPipe = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previousPipe) }
        // SigIgn in /proc/PID/status: the mask of ignored signals, in hex.
        let script = "grep '^SigIgn:' /proc/$$/status | cut -f2 >&7"
        let pipeBit = UInt64(1) << UInt64(SIGPIPE - 1)
        var plain = sh(script)
        let inherited = try written(at: 7, by: plain).text.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertNotEqual(UInt64(inherited, radix: 16)! & pipeBit, 0, "an ignored SIGPIPE is inherited: \(inherited)")
        plain.defaultSignals = true
        for fork in [false, true] {
            var spawn = plain
            spawn.parentDeathSignal = fork ? SIGKILL : nil
            let mask = try written(at: 7, by: spawn).text.trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertEqual(UInt64(mask, radix: 16)! & pipeBit, 0, "fork \(fork): \(mask)")
        }
    }
}
