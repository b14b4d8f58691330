import Foundation
import KeyrackDaemon
import ProcessSpawn
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
        // Searched on the PATH of keyrack's own environment; the program's PATH is the caller's
        // too, so both agree.
        var spawn = Spawn(command[0], Array(command.dropFirst()), environment: Spawn.environment(environment))
        spawn.searchPath = true
        spawn.defaultSignals = true
        Hardening.restoreForExec()
        let started = spawn.start()
        Hardening.protectProcess()
        let child: pid_t
        switch started {
        case .success(let pid): child = pid
        case .failure(let error) where error.code == ENOENT:
            throw ChildProcessError(message: "\(command[0]): command not found on PATH", exitCode: 127)
        case .failure(let error):
            throw ChildProcessError(message: "cannot run \(command[0]): \(String(cString: strerror(error.code)))", exitCode: 126)
        }
        runningChild = child
        signal(SIGINT, SIG_IGN)
        signal(SIGQUIT, SIG_IGN)
        for s in [SIGTERM, SIGHUP] { signal(s) { kill(runningChild, $0) } }
        return Spawn.wait(child)
    }
}

public struct ChildProcessError: Error, CustomStringConvertible {
    public let message: String
    public let exitCode: Int32
    public var description: String { message }
}
