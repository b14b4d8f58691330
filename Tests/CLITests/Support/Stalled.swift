import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A binary caught where it holds what it holds, the moment a same-uid attacker would `gcore` or
/// signal it: `.output`, stdout (and stderr, unless it goes to a file) on a pipe that is already
/// full, so it blocks at its first write; `.input`, stdin on a pipe this test keeps open (given
/// `stdin` is written first), so it blocks reading. ProcessHardeningTests, CrashBacktraceTests,
/// AgePluginBoundTests.
final class Stalled {
    enum Blocks { case output, input }

    let pid: pid_t
    /// The write end of the process's stdin, open until `closeInput()`.
    private(set) var inputFD: Int32
    private let outputFD: Int32
    private let stderrPath: String?

    /// `environment` is laid over this process's: a nil value removes the variable.
    init(_ executable: String, _ arguments: [String], environment: [String: String?], blocksOn: Blocks = .output,
         stdin: String = "", stderr: URL? = nil) throws {
        stderrPath = stderr?.path
        var out: [Int32] = [0, 0], input: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&out), 0)
        XCTAssertEqual(pipe(&input), 0)
        if blocksOn == .output {
            _ = fcntl(out[1], 1031 /* F_SETPIPE_SZ */, 4096)
            _ = fcntl(out[1], F_SETFL, O_NONBLOCK)
            var filler = [UInt8](repeating: 0x2e, count: 4096)
            while write(out[1], &filler, filler.count) > 0 {}
            _ = fcntl(out[1], F_SETFL, 0)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        if let stderr {
            posix_spawn_file_actions_addopen(&actions, 2, stderr.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        } else {
            posix_spawn_file_actions_adddup2(&actions, out[1], 2)
        }
        for fd in out + input { posix_spawn_file_actions_addclose(&actions, fd) }
        var e = ProcessInfo.processInfo.environment
        for (k, v) in environment { e[k] = v }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = e.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, nil, argv, envp)
        close(out[1])
        close(input[0])
        guard rc == 0 else { throw NSError(domain: "Stalled", code: Int(rc)) }
        pid = child
        outputFD = out[0]
        inputFD = input[1]
        if !stdin.isEmpty { _ = Array(stdin.utf8).withUnsafeBytes { write(inputFD, $0.baseAddress, $0.count) } }
        if blocksOn == .output { closeInput() }
    }

    /// keyrack `args` run as `user` (util-linux `setpriv`) with `env` and no XDG_RUNTIME_DIR but
    /// what `env` gives, blocked on its output.
    convenience init(_ user: UnixUser, _ args: [String], env: [String: String], stdin: String = "") throws {
        var e: [String: String?] = ["XDG_RUNTIME_DIR": nil]
        for (k, v) in env { e[k] = v }
        try self.init("/usr/bin/setpriv", ["--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", Run.keyrackBinary] + args,
                      environment: e, stdin: stdin)
    }

    deinit {
        closeInput()
        close(outputFD)
    }

    func closeInput() {
        if inputFD >= 0 { close(inputFD) }
        inputFD = -1
    }

    /// Polls until the process sleeps in a kernel function whose name holds `wchan` (20 s at most).
    func waitUntil(_ wchan: String) -> Bool {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let now = try? String(contentsOfFile: "/proc/\(pid)/wchan", encoding: .utf8), now.contains(wchan) { return true }
            usleep(10_000)
        }
        return false
    }

    /// Sends `signal` and reaps the process: the signal that ended it, or -1 when it exited or
    /// outlived the signal by 20 s (the runtime's backtracer, having printed, resumes a process
    /// that was only sent the signal; it is then killed). Its stdout is drained meanwhile, so a
    /// handler that writes cannot hang the test.
    func kill(_ signal: Int32) -> Int32 {
        Glibc.kill(pid, signal)
        _ = fcntl(outputFD, F_SETFL, O_NONBLOCK)
        var status: Int32 = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(20)
        var survived = false
        while true {
            while read(outputFD, &buffer, buffer.count) > 0 {}
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { return -1 }
            if !survived && Date() > deadline { survived = true; Glibc.kill(pid, SIGKILL) }
            usleep(5_000)
        }
        if survived { return -1 }
        let termsig = status & 0x7f
        return termsig != 0 && termsig != 0x7f ? termsig : -1
    }

    /// Drains the output pipe to EOF and reaps the process: its exit code and what it printed
    /// (the filler that blocked it left out).
    func finish() -> (Int32, String) {
        closeInput()
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(outputFD, &buffer, buffer.count)
            if n <= 0 { break }
            output += buffer[0..<n]
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return ((status >> 8) & 0xff, String(decoding: output.drop { $0 == 0x2e }, as: UTF8.self))
    }

    /// What it wrote to its stderr file.
    var stderrBytes: [UInt8] { stderrPath.flatMap { try? Array(Data(contentsOf: URL(fileURLWithPath: $0))) } ?? [] }
}
