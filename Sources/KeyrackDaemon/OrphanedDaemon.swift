#if canImport(Glibc)
import Glibc
#endif

/// A daemon whose socket file was removed while it runs (a cleanup script, `rm -rf` of the
/// runtime directory's contents): it still holds grants, but no client can reach it. Its pid
/// file is still locked, and the lock, not the file, says it lives; so it is found there, and
/// stopped by signal (SIGTERM: it wipes every grant and exits).
public enum OrphanedDaemon {
    /// The pid of `owner`'s orphaned daemon: no socket, but a locked pid file naming a live
    /// process of this uid. Nil when there is none.
    public static func find(_ runtime: RuntimeDirectory, owner: String) -> pid_t? {
        var st = stat()
        if lstat(runtime.socket(owner: owner), &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK { return nil }
        guard (try? runtime.verifyForClient(trustedUIDs: [geteuid()])) == true else { return nil }
        guard isLocked(runtime.pidFile(owner: owner)), let pid = readPid(runtime.pidFile(owner: owner)) else { return nil }
        return uid(of: pid) == geteuid() ? pid : nil
    }

    /// Sends SIGTERM and waits (up to `milliseconds`) until the daemon has wiped its grants and
    /// exited; returns what it wiped (its exit report), so `relock` can say so.
    public static func stop(_ runtime: RuntimeDirectory, owner: String, pid: pid_t, milliseconds: Int32 = 8000) throws -> DaemonExitReport {
        // Opened before the signal: the daemon unlinks the file as it exits, and this descriptor
        // is how its lock and its report are still reached then.
        guard let exit = DaemonExit(runtime, owner: owner), exit.pid == pid else {
            throw DaemonError.malformed("the pid file of '\(owner)' no longer names pid \(pid): run the command again")
        }
        guard kill(pid, SIGTERM) == 0 else { throw DaemonError.io("signalling daemon pid \(pid)", errno: errno) }
        guard let report = exit.wait(milliseconds: milliseconds) else {
            throw DaemonError.timedOut("the orphaned daemon of '\(owner)' (pid \(pid)) did not exit within \(milliseconds) ms of SIGTERM")
        }
        return report
    }

    static func isLocked(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 { flock(fd, LOCK_UN); return false }
        return errno == EWOULDBLOCK
    }

    static func readPid(_ path: String) -> pid_t? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return readPid(fd: fd)
    }

    static func readPid(fd: Int32) -> pid_t? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = pread(fd, &buffer, 31, 0)
        guard n > 0 else { return nil }
        // The first line: a stopping daemon writes its exit report under it (DaemonExitReport).
        return String(decoding: buffer.prefix(n), as: UTF8.self).split(separator: "\n").first.flatMap { pid_t($0) }
    }

    /// The real uid of `pid` from /proc/<pid>/status (readable for non-dumpable processes too).
    static func uid(of pid: pid_t) -> uid_t? {
        let fd = open("/proc/\(pid)/status", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return nil }
        for line in String(decoding: buffer.prefix(n), as: UTF8.self).split(separator: "\n") where line.hasPrefix("Uid:") {
            return line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap { uid_t($0) }
        }
        return nil
    }
}
