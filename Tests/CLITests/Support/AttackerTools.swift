import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

typealias UnixUser = (name: String, uid: UInt32, gid: UInt32)

/// What the trust-boundary tests do as other Unix users: run a binary as them (util-linux
/// `setpriv`, as CI runs the tests as root), with variables set or explicitly unset.
enum AsUser {
    /// Runs `binary args` as `user` in `cwd`. `env` adds variables; `unset` removes them even when
    /// the test process has them (cron and `sudo -u bot -i` have no XDG_RUNTIME_DIR).
    static func run(_ user: UnixUser, _ binary: String, _ args: [String], env: [String: String] = [:], unset: [String] = [],
                    stdin: String = "", cwd: String = "/") throws -> RunResult {
        var e: [String: String?] = [:]
        for (k, v) in env { e[k] = v }
        for k in unset { e.updateValue(nil, forKey: k) }
        return try Run.process("/usr/bin/setpriv", ["--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", binary] + args,
                               stdin: Array(stdin.utf8), environment: e, currentDirectory: URL(fileURLWithPath: cwd))
    }

    /// A directory owned by `user` with `mode`, as that user would have made it.
    static func directory(_ path: String, owner: UnixUser, mode: mode_t) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        XCTAssertEqual(chown(path, owner.uid, owner.gid), 0)
        XCTAssertEqual(chmod(path, mode), 0)
    }
}

/// A hostile user's fake daemon (Fixtures/keyrack-squatter, run as that user): it answers every
/// GET with planted values and logs each request it receives, so a test can show a client never
/// sent it one.
final class Squatter {
    let process: Spawned
    let log: String

    init(as user: UnixUser, socket: String, log: String, bashEnv: String) throws {
        self.log = log
        FileManager.default.createFile(atPath: log, contents: Data())
        XCTAssertEqual(chown(log, user.uid, user.gid), 0)
        let script = Run.packageRoot.appendingPathComponent("Tests/CLITests/Fixtures/keyrack-squatter").path
        process = try Spawned("/usr/bin/setpriv", ["--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", script, socket, log, bashEnv])
        let deadline = Date().addingTimeInterval(10)
        while !((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("listening") {
            guard process.isRunning, Date() < deadline else { throw NSError(domain: "Squatter", code: 1, userInfo: [NSLocalizedDescriptionKey: "the squatter did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")"]) }
            usleep(10_000)
        }
    }

    /// Requests the squatter received (none, if every client refused it before sending).
    var requests: [String] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init).filter { $0.hasPrefix("request") }
    }

    func stop() {
        kill(process.pid, SIGKILL)
        process.waitForExit()
    }
}

/// A command run as another user with stdout and stderr on a pipe that is already full, so it
/// blocks at its first write holding whatever it holds (a decrypted manifest, a value): the
/// moment a same-uid attacker would `gcore` it. `finish()` drains the pipe and reaps it.
final class BlockedOnOutput {
    let pid: pid_t
    private let readFD: Int32
    private var output: [UInt8] = []

    init(_ user: UnixUser, _ args: [String], env: [String: String], stdin: String = "") throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        _ = fcntl(fds[1], 1031 /* F_SETPIPE_SZ */, 4096)
        _ = fcntl(fds[1], F_SETFL, O_NONBLOCK)
        var filler = [UInt8](repeating: 0x2e, count: 4096)
        while write(fds[1], &filler, filler.count) > 0 {}
        _ = fcntl(fds[1], F_SETFL, 0)
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("stdin-\(UUID().uuidString)")
        try Data(stdin.utf8).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input.path, O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        var e = ProcessInfo.processInfo.environment
        e["XDG_RUNTIME_DIR"] = nil
        for (k, v) in env { e[k] = v }
        let argv = (["/usr/bin/setpriv", "--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", Run.keyrackBinary] + args).map { strdup($0) } + [nil]
        let envp = e.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, "/usr/bin/setpriv", &actions, nil, argv, envp)
        close(fds[1])
        XCTAssertEqual(rc, 0)
        pid = child
        readFD = fds[0]
    }

    /// Polls until the process sleeps in a pipe write (or fails after 20 s).
    func waitUntilBlocked() -> Bool {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let wchan = try? String(contentsOfFile: "/proc/\(pid)/wchan", encoding: .utf8), wchan.contains("pipe_write") { return true }
            usleep(10_000)
        }
        return false
    }

    /// Drains the pipe to EOF and reaps the process: its exit code and what it printed.
    func finish() -> (Int32, String) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(readFD, &buffer, buffer.count)
            if n <= 0 { break }
            output += buffer[0..<n]
        }
        close(readFD)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return ((status >> 8) & 0xff, String(decoding: output.drop { $0 == 0x2e }, as: UTF8.self))
    }
}
