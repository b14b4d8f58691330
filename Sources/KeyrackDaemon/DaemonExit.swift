#if canImport(Glibc)
import Glibc
#endif
import Locking

/// Waiting for a daemon to be gone, on its pid file's lock: the daemon process holds it until the
/// kernel drops it at exit (after the wipe), so the lock coming free means the daemon has wiped
/// and exited, not merely that it was asked to. Blocking `flock` on a helper thread, bounded by
/// `poll` on a socket pair: no sleep-and-look loop, and no wait past the deadline.
public final class DaemonExit {
    /// The pid the file named when it was opened.
    public let pid: pid_t
    private let fd: Int32
    private var handedOff = false

    /// Opens `owner`'s pid file; nil when there is none (no daemon, or one of an older keyrack).
    /// Open it before asking the daemon to stop: the daemon unlinks the file as it goes.
    public init?(_ runtime: RuntimeDirectory, owner: String) {
        let fd = open(runtime.pidFile(owner: owner), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_uid == geteuid(),
              let pid = OrphanedDaemon.readPid(fd: fd) else { close(fd); return nil }
        self.fd = fd
        self.pid = pid
    }

    deinit { if !handedOff { close(fd) } }

    /// Waits until the lock is free (the daemon exited) and returns the daemon's exit report (an
    /// empty one for a daemon that died without writing it); nil when `milliseconds` passed first.
    /// Once only: the descriptor goes with the wait.
    public func wait(milliseconds: Int32) -> DaemonExitReport? {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else { return nil }
        let lockFD = fd, done = pair[1], pid = pid
        let result = Locked<DaemonExitReport?>(nil)
        // The descriptors are the thread's once it runs: the waiter may have given up.
        let started = Threads.detach {
            while flock(lockFD, LOCK_SH) != 0 && errno == EINTR {}
            let report = DaemonExitReport.read(from: lockFD) ?? DaemonExitReport(pid: pid, relocked: [], identityAgent: false)
            result.withLock { $0 = report }
            close(lockFD)
            var byte: UInt8 = 1
            _ = send(done, &byte, 1, Int32(MSG_NOSIGNAL))
            close(done)
        }
        guard started else { close(pair[0]); close(pair[1]); return nil }
        handedOff = true
        defer { close(pair[0]) }
        let deadline = Clock.bootMilliseconds() + UInt64(max(milliseconds, 0))
        var pfd = pollfd(fd: pair[0], events: Int16(POLLIN), revents: 0)
        while true {
            let left = Int32(clamping: Int64(deadline) - Int64(Clock.bootMilliseconds()))
            let ready = poll(&pfd, 1, max(left, 0))
            if ready > 0 { break }
            if ready == 0 || errno != EINTR { return nil }
        }
        return result.withLock { $0 }
    }
}
