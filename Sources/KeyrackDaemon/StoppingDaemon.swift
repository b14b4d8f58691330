#if canImport(Glibc)
import Glibc
#endif

/// A daemon on its way out (idle exit, SIGTERM, STOP): it marks its pid file `stopping` before
/// it stops listening, then closes and removes its socket, wipes, revokes leases (up to 5 s) and
/// only then lets the pid lock go. In that window it looks like an orphan (no socket, locked pid
/// file) but is not one: a starter waits for it to exit instead of reporting it, and a client
/// whose connection it reset learns that no daemon runs rather than an I/O error.
///
///     4242
///     stopping
///
/// (the exit report, DaemonExitReport, later replaces these lines).
public enum StoppingDaemon {
    static let marker = "stopping"

    /// How long a starter waits for a stopping daemon: its lease revocations take up to 5 s, and
    /// `daemon stop` waits as long.
    public static let exitWaitMilliseconds: Int32 = 8000

    /// Marks the pid file behind `fd` (the daemon's own, locked) as stopping.
    static func mark(fd: Int32, pid: pid_t = getpid()) {
        let bytes = Array("\(pid)\n\(marker)\n".utf8)
        let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, 0) }
        if n == bytes.count { ftruncate(fd, off_t(bytes.count)) }
    }

    /// The pid of `owner`'s daemon while it stops: its pid file still locked and marked. Nil
    /// when none is stopping (none runs, one serves, or an orphan that never said it stops).
    public static func find(_ runtime: RuntimeDirectory, owner: String) -> pid_t? {
        let path = runtime.pidFile(owner: owner)
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_uid == geteuid() else { return nil }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return nil }
        let lines = String(decoding: buffer.prefix(n), as: UTF8.self).split(separator: "\n")
        guard lines.count >= 2, lines[1] == marker, let pid = pid_t(lines[0]) else { return nil }
        return OrphanedDaemon.isLocked(path) ? pid : nil
    }

    /// Waits, on the pid lock (DaemonExit: no polling), until the stopping daemon `pid` has
    /// exited; false when it still runs after `milliseconds`. True also when its pid file is
    /// already gone or names another daemon: the daemon removes the file last, just before exit,
    /// and a successor then takes a fresh lock on a fresh file.
    public static func waitForExit(_ runtime: RuntimeDirectory, owner: String, pid: pid_t,
                                   milliseconds: Int32 = exitWaitMilliseconds) -> Bool {
        guard let exit = DaemonExit(runtime, owner: owner), exit.pid == pid else { return true }
        return exit.wait(milliseconds: milliseconds) != nil
    }

    /// After a connection ended without an answer (reset, closed, EPIPE): did the daemon go
    /// away? Yes when it is stopping, or when no daemon holds the pid lock and its socket is
    /// gone. A daemon that still listens (a bug, a crash in one connection) is not: that stays
    /// the error it was.
    static func wentAway(_ runtime: RuntimeDirectory, owner: String) -> Bool {
        if find(runtime, owner: owner) != nil { return true }
        var st = stat()
        let socketGone = lstat(runtime.socket(owner: owner), &st) != 0 && errno == ENOENT
        return socketGone && !OrphanedDaemon.isLocked(runtime.pidFile(owner: owner))
    }
}
