import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A background child started with posix_spawn and reaped with waitpid, for children that close
/// the descriptors they inherit (the daemon does, on purpose).
///
/// Foundation's `Process` cannot watch such a child: on Linux it learns of an exit when a socket
/// it passes to the child is closed, and then blocks its one monitor thread in `waitpid` on that
/// pid, so every later `Process` in the test run waits forever.
public final class Spawned {
    public let pid: pid_t
    private var exitStatus: Int32?

    /// Starts `executable` (an absolute path) with `arguments`; stdin and stdout are /dev/null,
    /// stderr is `stderrPath` (else /dev/null), and `environment` entries are added to this
    /// process's environment.
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                stderrPath: String = "/dev/null") throws {
        try DeclaredPrograms.require(executable)
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, nil, argv, envp)
        guard rc == 0 else {
            throw NSError(domain: "Spawned", code: Int(rc), userInfo: [NSLocalizedDescriptionKey: "posix_spawn \(executable): \(String(cString: strerror(rc)))"])
        }
        pid = child
    }

    /// True until the child has exited (reaping it when it has).
    public var isRunning: Bool {
        if exitStatus != nil { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { exitStatus = status; return false }
        return true
    }

    public func terminate() { if isRunning { kill(pid, SIGTERM) } }

    /// Waits for the child and returns its exit code, or 128 + the signal that killed it.
    @discardableResult
    public func waitForExit() -> Int32 {
        if exitStatus == nil {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            exitStatus = status
        }
        let s = exitStatus!
        return (s & 0x7f) == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f)
    }

    deinit {
        if isRunning { kill(pid, SIGKILL); waitForExit() }
    }
}
