#if canImport(Glibc)
import Glibc
#endif
import Locking

/// The namespaces a process lives in, as `/proc/PID/ns/*` names them (inode numbers of nsfs).
/// A number names one live namespace at a time; it can be reused once that namespace is gone,
/// which is why the registry holds the sandbox's pid 1 as a pidfd and checks it still runs.
public struct Namespaces: Equatable, Sendable, CustomStringConvertible {
    public var user: UInt64
    public var pid: UInt64
    public var mount: UInt64

    public init(user: UInt64, pid: UInt64, mount: UInt64) { self.user = user; self.pid = pid; self.mount = mount }

    /// Those of `pid` (any process of ours, or of a user namespace we own), nil when unreadable.
    public static func of(pid: pid_t) -> Namespaces? {
        guard let u = id("/proc/\(pid)/ns/user"), let p = id("/proc/\(pid)/ns/pid"), let m = id("/proc/\(pid)/ns/mnt") else { return nil }
        return Namespaces(user: u, pid: p, mount: m)
    }

    public static var own: Namespaces? { of(pid: getpid()) }

    /// "user:[4026531837]" → 4026531837.
    static func id(_ link: String) -> UInt64? {
        var buffer = [CChar](repeating: 0, count: 64)
        let n = readlink(link, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        let text = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let open = text.firstIndex(of: "["), let close = text.lastIndex(of: "]"), open < close else { return nil }
        return UInt64(text[text.index(after: open)..<close])
    }

    public var description: String { "user:\(user) pid:\(pid) mnt:\(mount)" }
}

/// Where a peer of the daemon runs, proven from the kernel's view of it, never from what it says.
public enum PeerPlace: Equatable, Sendable {
    /// In the daemon's own namespaces: an ordinary process of the user (the human's shell).
    case host
    /// Inside a sandbox `exec --sandbox` started for this owner and registered.
    case ownSandbox
    /// Anywhere else: another owner's sandbox, a nested namespace, a container.
    case elsewhere
    /// The peer could not be examined (it exited, or its pid was reused before the check ended).
    case unknown
}

/// The sandboxes `exec --sandbox` registered for this owner: each by a pidfd of its pid 1 and
/// the namespaces the daemon read itself. Peers are placed by comparing their namespaces with
/// these, with the peer's pidfd checked after the read so a recycled pid cannot pass.
public final class SandboxRegistry: Sendable {
    private struct Entry { var pidfd: Int32; var namespaces: Namespaces }
    private let entries = Locked([Entry]())
    private let own: Namespaces?

    public init(own: Namespaces? = Namespaces.own) { self.own = own }

    deinit { entries.withLock { for e in $0 { close(e.pidfd) } } }

    public enum RegistrationError: Error, Equatable, CustomStringConvertible {
        case notASandbox(pid: Int32)
        case gone(pid: Int32)
        case unreadable(pid: Int32)
        public var description: String {
            switch self {
            case .notASandbox(let pid): "pid \(pid) shares the daemon's own user or pid namespace: it is not a sandbox"
            case .gone(let pid): "pid \(pid) is not running"
            case .unreadable(let pid): "the namespaces of pid \(pid) cannot be read"
            }
        }
    }

    /// Records the sandbox whose pid 1 has host pid `pid`.
    public func register(pid: Int32) throws -> Namespaces {
        let pidfd = PeerProcess.pidfdOpen(pid)
        guard pidfd >= 0 else { throw RegistrationError.gone(pid: pid) }
        guard let depth = PeerProcess.pidNamespaceDepth(pid), depth > 1 else { close(pidfd); throw RegistrationError.notASandbox(pid: pid) }
        guard let ns = Namespaces.of(pid: pid) else { close(pidfd); throw RegistrationError.unreadable(pid: pid) }
        guard PeerProcess.alive(pidfd) else { close(pidfd); throw RegistrationError.gone(pid: pid) }
        if let own, ns.user == own.user || ns.pid == own.pid || ns.mount == own.mount {
            close(pidfd)
            throw RegistrationError.notASandbox(pid: pid)
        }
        entries.withLock { list in
            // Sandboxes that ended go: their namespace numbers may be reused.
            list.removeAll { e in
                if PeerProcess.alive(e.pidfd) { return false }
                close(e.pidfd); return true
            }
            list.append(Entry(pidfd: pidfd, namespaces: ns))
        }
        return ns
    }

    /// Where the peer of the connected socket `fd` (SO_PEERCRED pid `pid`) runs.
    ///
    /// First its pid-namespace depth, from /proc/PID/status (readable without ptrace rights:
    /// keyrack's own clients make themselves non-dumpable, so their /proc/PID/ns links are closed
    /// to a same-uid daemon): depth 1 is the daemon's own pid namespace, outside every sandbox
    /// (each has its own). Deeper, the namespaces themselves, which the daemon may read because
    /// it owns the sandbox's user namespace; a peer that closed even those (an unreadable
    /// binary moves its mm to the host's user namespace) is `.unknown`, and refused.
    public func place(socket fd: Int32, pid: Int32) -> PeerPlace {
        let pidfd = PeerProcess.peerPidfd(fd, pid: pid)
        guard pidfd >= 0 else { return .unknown }
        defer { close(pidfd) }
        guard let depth = PeerProcess.pidNamespaceDepth(pid) else { return .unknown }
        let ns = depth > 1 ? Namespaces.of(pid: pid) : nil
        // Read, then proven: the pidfd names the process that connected, so if it still runs what
        // was just read was that process's, not a successor's with the same pid.
        guard PeerProcess.alive(pidfd) else { return .unknown }
        if depth == 1 { return .host }
        guard let ns else { return .unknown }
        if let own, ns == own { return .host }
        let matched = entries.withLock { list in
            list.contains { $0.namespaces == ns && PeerProcess.alive($0.pidfd) }
        }
        return matched ? .ownSandbox : .elsewhere
    }

    public var count: Int { entries.withLock { $0.count } }
}

/// pidfd calls: the Glibc module imports neither the syscalls nor SO_PEERPIDFD. (x86_64 and
/// aarch64 share the numbers: the unified table of new system calls.)
public enum PeerProcess {
    public static let soPeerPidfd: Int32 = 77

    public static func pidfdOpen(_ pid: pid_t) -> Int32 { Int32(truncatingIfNeeded: c_syscall(434, Int(pid), 0, 0, 0)) }

    /// The peer's pidfd as the kernel took it at connect (Linux 6.5+), else one opened by pid.
    public static func peerPidfd(_ fd: Int32, pid: pid_t) -> Int32 {
        var pidfd: Int32 = -1
        var len = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, soPeerPidfd, &pidfd, &len) == 0, pidfd >= 0 { return pidfd }
        return pidfdOpen(pid)
    }

    /// How many pid namespaces deep `pid` is, seen from ours: the count of its NSpid line.
    public static func pidNamespaceDepth(_ pid: pid_t) -> Int? {
        let fd = open("/proc/\(pid)/status", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 8192)
        var total = 0
        while total < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + total, $0.count - total) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            total += n
        }
        let text = String(decoding: bytes[0..<total], as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("NSpid:") }) else { return nil }
        let count = line.dropFirst("NSpid:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).count
        return count > 0 ? count : nil
    }

    /// Signal 0 through the pidfd: succeeds only while that very process runs.
    public static func alive(_ pidfd: Int32) -> Bool { c_syscall(424, Int(pidfd), 0, 0, 0) == 0 }
}

@_silgen_name("syscall")
private func c_syscall(_ number: Int, _ a: Int, _ b: Int, _ c: Int, _ d: Int) -> Int
