import Foundation
import KeyrackDaemon
#if canImport(Glibc)
import Glibc
#endif

/// The program's pid, for the signal handlers (a C handler captures nothing).
private var runningChild: pid_t = 0

/// Runs the program of `exec --proxy` as keyrack's child (keyrack must stay: it is the proxy),
/// with `environment` as its whole environment, and waits for it. The terminal's ^C and ^\ reach
/// the program (same process group) and keyrack ignores them; TERM and HUP sent to keyrack are
/// passed on. Returns the exit code, or 128 + the signal that ended it, as a shell reports it.
enum ChildProcess {
    static func run(_ command: [String], environment: [String: String]) throws -> Int32 {
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        // posix_spawnp searches the PATH of keyrack's own environment; the program's PATH is the
        // caller's too, so both agree.
        var child: pid_t = 0
        Hardening.restoreForExec()
        let rc = ProgramSpawn.start(command, actions: nil, environment: envp, pid: &child)
        Hardening.protectProcess()
        guard rc == 0 else {
            if rc == ENOENT { throw ChildProcessError(message: "\(command[0]): command not found on PATH", exitCode: 127) }
            throw ChildProcessError(message: "cannot run \(command[0]): \(String(cString: strerror(rc)))", exitCode: 126)
        }
        runningChild = child
        signal(SIGINT, SIG_IGN)
        signal(SIGQUIT, SIG_IGN)
        for s in [SIGTERM, SIGHUP] { signal(s) { kill(runningChild, $0) } }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}

public struct ChildProcessError: Error, CustomStringConvertible {
    public let message: String
    public let exitCode: Int32
    public var description: String { message }
}

/// How keyrack starts a program it waits for (`exec --proxy`, `exec --mask`): posix_spawnp with
/// every signal at its default and none blocked, whatever keyrack itself ignores or blocks (the
/// program decides for itself). Returns posix_spawnp's error, 0 once `pid` runs.
public enum ProgramSpawn {
    public static func start(_ command: [String], actions: UnsafePointer<posix_spawn_file_actions_t>?,
                             environment: UnsafePointer<UnsafeMutablePointer<CChar>?>, pid: inout pid_t) -> Int32 {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t(), empty = sigset_t()
        sigemptyset(&empty)
        sigemptyset(&defaults)
        for s in [SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        return posix_spawnp(&pid, command[0], actions, &attributes, argv, environment)
    }
}
