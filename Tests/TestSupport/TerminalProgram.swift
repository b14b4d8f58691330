import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The program TerminalRun started, watched and reaped by its pid with waitpid: no monitor thread
/// of Foundation's in between, which another child of the test process can hold up (TerminalRun
/// says how).
final class TerminalProgram {
    let pid: pid_t
    /// The wait status once reaped; nil while it runs.
    private var waitStatus: Int32?
    /// Reaped by someone else (waitpid said ECHILD): its status is unknown.
    private var lost = false

    init(pid: pid_t) { self.pid = pid }

    /// True until the program has exited (reaping it when it has).
    func isRunning() -> Bool {
        if waitStatus != nil || lost { return false }
        var status: Int32 = 0
        let reaped = waitpid(pid, &status, WNOHANG)
        if reaped == pid { waitStatus = status; return false }
        if reaped < 0 && errno == ECHILD { lost = true; return false }
        return true
    }

    /// Waits for it: its exit code, or 128 + the signal that ended it, as a shell reports it
    /// (-1 if someone else reaped it).
    func exitStatus() -> Int32 {
        while waitStatus == nil && !lost {
            var status: Int32 = 0
            if waitpid(pid, &status, 0) == pid { waitStatus = status } else if errno == ECHILD { lost = true }
        }
        guard let s = waitStatus else { return -1 }
        return (s & 0x7f) == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f)
    }

    /// Where it sleeps and what it does with signals, from /proc: for a timeout's message, since
    /// a program that ignores or blocks SIGINT looks just like one that deadlocked in a handler.
    func signalState() -> String {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let wanted = ["State", "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt", "Threads"]
        let lines = status.split(separator: "\n").filter { line in wanted.contains { line.hasPrefix($0 + ":") } }
        let wchan = (try? String(contentsOfFile: "/proc/\(pid)/wchan", encoding: .utf8)) ?? "?"
        return (["pid \(pid)"] + lines.map { $0.replacingOccurrences(of: "\t", with: " ") } + ["wchan: \(wchan)"]).joined(separator: ", ")
    }

    /// Ends it and whatever it started in its session (setsid made it its process group's
    /// leader), and reaps it.
    func kill() {
        Glibc.kill(-pid, SIGKILL)
        Glibc.kill(pid, SIGKILL)
        _ = exitStatus()
    }
}
