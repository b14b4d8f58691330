import Foundation
import KeyrackDaemon
import ProcessSpawn
#if canImport(Glibc)
import Glibc
#endif

/// Where the signal handlers forward to: the command's host pid once the sandbox runs it, and a
/// signal that came before. A C signal handler captures nothing, so these are globals, set by
/// `SandboxLaunch.run` before and after the handlers are installed.
private var sandboxCommandPID: pid_t = 0
private var sandboxPendingSignal: Int32 = 0

/// Runs a SandboxSpec under bubblewrap and stays its parent until it ends: keyrack cannot exec
/// itself away as plain `exec` does, because it has to see the sandbox built, have the owner's
/// daemon record it, and forward the signals a terminal or a supervisor sends keyrack.
///
/// The order is what makes "never unsandboxed" hold: the command is the last thing the shim
/// (BubblewrapArguments.shim) execs, inside the finished sandbox, after keyrack's go; if bwrap
/// fails at any step before, there is no shim, and keyrack reports `notBuilt`.
public enum SandboxLaunch {
    /// Registers the sandbox (bwrap's child, pid 1 of its pid namespace, by its host pid) with
    /// the owner's daemon before the command starts. Throwing stops the launch.
    public typealias Register = (_ sandboxPID: pid_t) throws -> Void

    /// Runs the sandbox with keyrack's environment (the caller sets the keys in it first), and
    /// returns the command's exit code, or 128 + the signal that ended it.
    public static func run(_ spec: SandboxSpec, bubblewrap: String, register: Register) throws -> Int32 {
        let fds = BubblewrapArguments.Descriptors()

        // Three pipes, close-on-exec on keyrack's side; the child's ends are duplicated above the
        // range the child renumbers them into, so no dup2 there overwrites another.
        var info: [Int32] = [-1, -1], ready: [Int32] = [-1, -1], go: [Int32] = [-1, -1]
        guard pipe(&info) == 0, pipe(&ready) == 0, pipe(&go) == 0 else {
            throw SandboxError.system("cannot make a pipe for the sandbox: \(String(cString: strerror(errno)))")
        }
        for fd in info + ready + go { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let childEnds = [info[1], ready[1], go[0]].map { fcntl($0, F_DUPFD_CLOEXEC, 100) }
        let targets = [fds.info, fds.ready, fds.go]

        // Through the one spawner, which forks for this (ProcessSpawn/ForkSpawn.swift): bwrap
        // must get its parent-death signal before it runs, which posix_spawn cannot give. Its own
        // process group keeps the terminal's ^C for keyrack (which forwards it); bwrap dies if
        // keyrack dies; every signal at its default; keyrack's environment (the keys set in it).
        var spawn = Spawn(bubblewrap, BubblewrapArguments.make(spec, descriptors: fds))
        spawn.descriptors = zip(childEnds, targets).map { Spawn.Descriptor(source: $0, target: $1) }
        spawn.processGroup = true
        spawn.parentDeathSignal = SIGKILL
        spawn.defaultSignals = true
        sandboxCommandPID = 0
        sandboxPendingSignal = 0
        // Blocked until the forwarding handlers are in place: a ^C meanwhile waits for them.
        var all = sigset_t(), previous = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_SETMASK, &all, &previous)
        let started = spawn.start()
        for fd in childEnds + [info[1], ready[1], go[0]] { close(fd) }
        guard case .success(let child) = started else {
            pthread_sigmask(SIG_SETMASK, &previous, nil)
            for fd in [info[0], ready[0], go[1]] { close(fd) }
            let code: Int32 = if case .failure(let error) = started { error.code } else { EINVAL }
            throw SandboxError.system("cannot start bubblewrap: \(String(cString: strerror(code)))")
        }
        // keyrack forwards what would end it, and the terminal's resizes (the command is in its
        // own session and process group: the terminal's ^C and SIGWINCH reach keyrack alone).
        for s in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH] {
            signal(s) { sig in
                if sandboxCommandPID > 0 { kill(sandboxCommandPID, sig) } else if sig != SIGWINCH { sandboxPendingSignal = sig }
            }
        }
        signal(SIGPIPE, SIG_IGN)
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        defer { close(info[0]); close(ready[0]); if go[1] >= 0 { close(go[1]) } }

        func abandon() -> Int32 {
            kill(-child, SIGKILL)
            kill(child, SIGKILL)
            return wait(child)
        }
        let infoText = readUntilObjectEnds(info[0])
        guard let sandboxPID = childPID(in: infoText), readByte(ready[0]) == UInt8(ascii: "r") else {
            throw SandboxError.notBuilt(status: wait(child))
        }
        if sandboxPendingSignal != 0 { _ = abandon(); return 128 + sandboxPendingSignal }
        do { try register(sandboxPID) } catch {
            _ = abandon()
            throw error
        }
        // The shim is the sandbox's pid 1's only child; after the go it execs the command in
        // place, so its pid is the command's.
        sandboxCommandPID = firstChild(of: sandboxPID) ?? 0
        let goLine: [UInt8] = Array("go\n".utf8)
        let written = goLine.withUnsafeBytes { write(go[1], $0.baseAddress, $0.count) }
        close(go[1]); go[1] = -1
        guard written == goLine.count else { _ = abandon(); throw SandboxError.system("cannot start the command in the sandbox: \(String(cString: strerror(errno)))") }
        if sandboxPendingSignal != 0, sandboxCommandPID > 0 { kill(sandboxCommandPID, sandboxPendingSignal) }
        // bwrap's monitor exits as soon as its pid 1 reports the command's status, while pid 1
        // is still taking the rest of the sandbox down with it: keyrack returns only once pid 1
        // (and so every process of the sandbox's pid namespace) is gone.
        let sandboxFD = PeerProcess.pidfdOpen(sandboxPID)
        let status = wait(child)
        if sandboxFD >= 0 {
            var p = pollfd(fd: sandboxFD, events: Int16(POLLIN), revents: 0)
            while poll(&p, 1, 10_000) < 0 && errno == EINTR {}
            close(sandboxFD)
        }
        return status
    }

    /// The exit code of `pid` as a shell reports it.
    private static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return 1 }
        }
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// bwrap's --info-fd JSON, read until its closing brace (bwrap keeps the descriptor open).
    private static func readUntilObjectEnds(_ fd: Int32) -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while bytes.count < 8192 {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += buffer[0..<n]
            if bytes.contains(UInt8(ascii: "}")) { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `"child-pid": N` from bwrap's info.
    static func childPID(in text: String) -> pid_t? {
        guard let key = text.range(of: "\"child-pid\"") else { return nil }
        let rest = text[key.upperBound...].drop { $0 == ":" || $0 == " " }
        return pid_t(String(rest.prefix { $0.isNumber }))
    }

    private static func readByte(_ fd: Int32) -> UInt8? {
        var b: UInt8 = 0
        while true {
            let n = read(fd, &b, 1)
            if n == 1 { return b }
            if n < 0 && errno == EINTR { continue }
            return nil
        }
    }

    private static func firstChild(of pid: pid_t) -> pid_t? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8) else { return nil }
        return text.split(whereSeparator: { $0 == " " || $0 == "\n" }).first.flatMap { pid_t($0) }
    }
}
