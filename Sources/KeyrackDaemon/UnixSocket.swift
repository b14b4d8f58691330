#if canImport(Glibc)
import Glibc
#endif

/// The few AF_UNIX calls both ends need.
enum UnixSocket {
    /// `sockaddr_un` for `path`, or nil when the path does not fit `sun_path` (108 bytes).
    static func address(_ path: String) -> sockaddr_un? {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity else { return nil }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        return addr
    }

    static func withAddress<R>(_ addr: sockaddr_un, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var a = addr
        return withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    /// The kernel's word on who is at the other end of a connected socket.
    static func peerCredentials(_ fd: Int32) -> PeerCredentials? {
        var cred = PeerCredentials()
        var len = socklen_t(MemoryLayout<PeerCredentials>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 else { return nil }
        return cred
    }

    /// `/proc/<pid>/exe`, for the log line of a denied caller (best effort: it may have exited).
    static func executable(of pid: pid_t) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/\(pid)/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return "?" }
        buffer[n] = 0
        return String(cString: buffer)
    }
}

/// `struct ucred` of <sys/socket.h> (a _GNU_SOURCE type the Glibc module does not import):
/// the same three 32-bit fields in the same order.
struct PeerCredentials {
    var pid: pid_t = 0
    var uid: uid_t = 0
    var gid: gid_t = 0
}

/// Marks a descriptor close-on-exec, so a daemon's sockets never leak into anything it starts.
func setCloseOnExec(_ fd: Int32) {
    _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
}
