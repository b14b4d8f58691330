#if canImport(Glibc)
import Glibc
#endif

/// The process at the other end of a connection, as the kernel knows it: never what the client
/// says. Read once per connection, at accept, from SO_PEERCRED and /proc, and proven afterwards
/// with the peer's pidfd (SO_PEERPIDFD, taken by the kernel at connect): if the pidfd's process
/// no longer runs once /proc was read, the pid may already name a successor, so the fields are
/// dropped and the record says `"verified":false`.
///
/// argv is cut to argv[0]: later arguments can carry anything, a secret included.
public struct Requester: Sendable {
    public var uid: uid_t
    public var pid: pid_t
    public var exe: String?
    public var argv0: String?
    /// /proc/PID/comm: where exe is closed to us (a non-dumpable process such as `keyrack unlock`).
    public var comm: String?
    public var parentPID: pid_t?
    public var parentExe: String?
    public var parentArgv0: String?
    public var cgroup: String?
    /// Where the peer runs: "host", or the sandbox's namespaces when it runs in one of the owner's.
    public var sandbox: String?
    public var gitRoot: String?
    public var verified: Bool
    /// argv[1], read with argv[0] from the same /proc/PID/cmdline, only to name a keyrack
    /// subcommand (DaemonServer.keyrackCommand); never written to a record as it is.
    var secondArgument: String?

    /// The requester of a record the daemon writes for itself (expiry, stop).
    public static var daemon: Requester {
        var r = Requester(uid: geteuid(), pid: getpid(), verified: true)
        r.exe = ProcInfo.link("/proc/self/exe")
        r.argv0 = "keyrack-daemon"
        return r
    }

    public init(uid: uid_t, pid: pid_t, verified: Bool) { self.uid = uid; self.pid = pid; self.verified = verified }

    /// Examines the peer of the connected socket `fd`, whose SO_PEERCRED said `uid` and `pid`.
    static func examine(socket fd: Int32, uid: uid_t, pid: pid_t, sandbox: String?) -> Requester {
        var r = Requester(uid: uid, pid: pid, verified: false)
        let pidfd = PeerProcess.peerPidfd(fd, pid: pid)
        guard pidfd >= 0 else { return r }
        defer { close(pidfd) }
        r.read(pid: pid)
        r.sandbox = sandbox
        if PeerProcess.alive(pidfd) {
            r.verified = true
        } else {
            r = Requester(uid: uid, pid: pid, verified: false)
        }
        return r
    }

    /// For the CLI's own records (set, del): this process and its parent.
    public static func current() -> Requester {
        var r = Requester(uid: geteuid(), pid: getpid(), verified: true)
        r.read(pid: getpid())
        return r
    }

    private mutating func read(pid: pid_t) {
        exe = ProcInfo.link("/proc/\(pid)/exe")
        (argv0, secondArgument) = ProcInfo.firstArguments(pid)
        if exe == nil { comm = ProcInfo.text("/proc/\(pid)/comm", limit: 64)?.trimmingTrailingNewline }
        cgroup = ProcInfo.cgroup(pid)
        gitRoot = ProcInfo.gitRoot(pid)
        // The program that ran the peer (for `keyrack get`, the script that wants the key). Its
        // pid is proven like the peer's: a pidfd opened on it, then the peer's PPid read again.
        // Had the parent exited, the peer would have been reparented and PPid would differ.
        guard let ppid = ProcInfo.parentPID(pid), ppid > 0 else { return }
        let parentFD = PeerProcess.pidfdOpen(ppid)
        guard parentFD >= 0 else { return }
        defer { close(parentFD) }
        let pexe = ProcInfo.link("/proc/\(ppid)/exe")
        let pargv0 = ProcInfo.argv0(ppid)
        guard PeerProcess.alive(parentFD), ProcInfo.parentPID(pid) == ppid else { return }
        parentPID = ppid
        parentExe = pexe
        parentArgv0 = pargv0
    }

    /// The record's `requester` object.
    public var fields: AuditFields {
        var f = AuditFields()
        f.add("uid", Int(uid))
        f.add("pid", Int(pid))
        f.add("exe", exe)
        f.add("argv0", argv0)
        f.add("comm", comm)
        if let parentPID {
            var p = AuditFields()
            p.add("pid", Int(parentPID))
            p.add("exe", parentExe)
            p.add("argv0", parentArgv0)
            f.add("parent", object: p)
        }
        f.add("cgroup", cgroup)
        f.add("sandbox", sandbox)
        f.add("git_root", gitRoot)
        f.add("verified", verified)
        return f
    }
}

/// Small, bounded reads of /proc. Each returns nil when the file is closed to us or gone.
enum ProcInfo {
    static func link(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func bytes(_ path: String, limit: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out = [UInt8](repeating: 0, count: limit)
        var total = 0
        while total < limit {
            let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + total, limit - total) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            total += n
        }
        return Array(out[0..<total])
    }

    static func text(_ path: String, limit: Int) -> String? {
        bytes(path, limit: limit).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The first two NUL-separated fields of /proc/PID/cmdline (one read).
    static func firstArguments(_ pid: pid_t) -> (String?, String?) {
        guard let b = bytes("/proc/\(pid)/cmdline", limit: 4096), !b.isEmpty else { return (nil, nil) }
        let fields = b.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        return (String(decoding: fields[0], as: UTF8.self), fields.count > 1 ? String(decoding: fields[1], as: UTF8.self) : nil)
    }

    /// The first NUL-separated field of /proc/PID/cmdline, and nothing after it.
    static func argv0(_ pid: pid_t) -> String? {
        guard let b = bytes("/proc/\(pid)/cmdline", limit: 4096), !b.isEmpty else { return nil }
        let first = b.prefix { $0 != 0 }
        return String(decoding: first, as: UTF8.self)
    }

    /// The `PPid:` of /proc/PID/status. Its lines are found as bytes and only that one becomes a
    /// String: splitting the whole ~1.5 KB file into Character-based String lines was 31% of the
    /// daemon's CPU for a GET, which reads it twice (perf of 300 `keyrack get --value`).
    static func parentPID(_ pid: pid_t) -> pid_t? {
        guard let status = bytes("/proc/\(pid)/status", limit: 8192),
              let line = firstLine(of: status, startingWith: "PPid:") else { return nil }
        return pid_t(String(decoding: line, as: UTF8.self)[...].trimmingCharacters)
    }

    /// The cgroup v2 path ("0::/user.slice/…"), else the first line as it is.
    static func cgroup(_ pid: pid_t) -> String? {
        guard let text = bytes("/proc/\(pid)/cgroup", limit: 4096) else { return nil }
        if let v2 = firstLine(of: text, startingWith: "0::") { return String(decoding: v2, as: UTF8.self) }
        guard let first = text.split(separator: 0x0a).first else { return nil }
        return String(decoding: first, as: UTF8.self)
    }

    /// What follows `prefix` on the first line of `text` that starts with it (lines end at "\n").
    static func firstLine(of text: [UInt8], startingWith prefix: String) -> ArraySlice<UInt8>? {
        let key = Array(prefix.utf8)
        var start = 0
        while start < text.count {
            let end = text[start...].firstIndex(of: 0x0a) ?? text.count
            if end - start >= key.count, text[start..<(start + key.count)].elementsEqual(key) { return text[(start + key.count)..<end] }
            start = end + 1
        }
        return nil
    }

    /// The nearest directory at or above the peer's working directory holding `.git`, seen
    /// through /proc/PID/root so a peer in another mount namespace (a sandbox) is examined in
    /// its own view of the file system.
    static func gitRoot(_ pid: pid_t) -> String? {
        guard var dir = link("/proc/\(pid)/cwd"), dir.hasPrefix("/") else { return nil }
        let root = "/proc/\(pid)/root"
        for _ in 0..<64 {
            var st = stat()
            if lstat(root + (dir == "/" ? "" : dir) + "/.git", &st) == 0 { return dir }
            if dir == "/" { return nil }
            if let slash = dir.lastIndex(of: "/") {
                dir = slash == dir.startIndex ? "/" : String(dir[..<slash])
            } else { return nil }
        }
        return nil
    }
}

extension Substring {
    var trimmingCharacters: String {
        String(self.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
