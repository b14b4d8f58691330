import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The test process playing an owner's daemon at the moments a real one cannot be stopped at:
/// it holds the pid file's lock (the file names this process), may listen on the owner's socket
/// without ever accepting (a connection then waits in the backlog), and, step by step, does what
/// a stopping daemon does (DaemonServer.shutdownFiles): marks the pid file `stopping`, closes its
/// listening socket (which resets the connections pending on it), removes the socket file, and
/// at last removes the pid file and lets the lock go.
public final class StandInDaemon {
    public let pidPath: String
    public let socketPath: String
    private var pidFD: Int32 = -1
    private var listenFD: Int32 = -1

    /// `directory`: the owner's runtime directory (made 0700 if missing).
    public init(directory: String, owner: String, listening: Bool) throws {
        pidPath = directory + "/daemon.\(owner).pid"
        socketPath = directory + "/daemon.\(owner).sock"
        if access(directory, F_OK) != 0 {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        pidFD = open(pidPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard pidFD >= 0, flock(pidFD, LOCK_EX | LOCK_NB) == 0 else { throw Self.failure("locking \(pidPath)") }
        write("\(getpid())\n")
        guard listening else { return }
        listenFD = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in socketPath.utf8.prefix(raw.count - 1).enumerated() { raw[i] = b }
        }
        let oldMask = umask(0o177)
        defer { umask(oldMask) }
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listenFD, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        guard bound == 0, listen(listenFD, 8) == 0 else { throw Self.failure("listening on \(socketPath)") }
    }

    deinit { exit() }

    /// The daemon's inode of its pid file (how /proc/locks names it).
    public var pidFileInode: UInt64 {
        var st = stat()
        return fstat(pidFD, &st) == 0 ? UInt64(st.st_ino) : 0
    }

    /// Waits until a connection is pending in the backlog (the listening socket polls readable;
    /// nothing is accepted); false after `milliseconds`.
    public func awaitPendingConnection(milliseconds: Int32) -> Bool {
        var pfd = pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)
        return poll(&pfd, 1, milliseconds) == 1
    }

    /// Takes the pending connection and closes it unanswered, still listening: a daemon that
    /// drops one connection but has not gone away.
    public func acceptAndClose() throws {
        let fd = accept(listenFD, nil, nil)
        guard fd >= 0 else { throw Self.failure("accepting on \(socketPath)") }
        close(fd)
    }

    /// The pid file says `stopping` under the pid line, as DaemonServer writes it.
    public func markStopping() { write("\(getpid())\nstopping\n") }

    /// Closes the listening socket (a pending connection is reset) and removes the socket file.
    public func closeSocket() {
        if listenFD >= 0 { close(listenFD); listenFD = -1 }
        unlink(socketPath)
    }

    /// Exits, as far as the lock tells: the pid file goes, then the lock.
    public func exit() {
        closeSocket()
        if pidFD >= 0 { unlink(pidPath); close(pidFD); pidFD = -1 }
    }

    /// True when some process waits, blocked, for a lock on the pid file (a `-> FLOCK` line in
    /// /proc/locks on its inode): a starter waiting for this daemon's exit.
    public func hasLockWaiter() -> Bool {
        guard let text = try? String(contentsOfFile: "/proc/locks", encoding: .utf8) else { return false }
        let inode = String(pidFileInode)
        return text.split(separator: "\n").contains { line in
            line.contains("->") && line.split(separator: " ").contains { $0.split(separator: ":").count == 3 && $0.split(separator: ":").last.map(String.init) == inode }
        }
    }

    private func write(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { pwrite(pidFD, $0.baseAddress!, $0.count, 0) }
        ftruncate(pidFD, off_t(bytes.count))
    }

    private static func failure(_ what: String) -> NSError {
        NSError(domain: "StandInDaemon", code: Int(errno), userInfo: [NSLocalizedDescriptionKey: "\(what): \(String(cString: strerror(errno)))"])
    }
}
