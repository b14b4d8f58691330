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
        // Every file of the peer is read through one descriptor of its /proc/PID directory:
        // one lookup of the pid rather than one per file (a GET of `keyrack get` opens a
        // connection, so this runs once per call, before the answer), and each read is of the
        // process the directory was opened on, which the pidfd check then proves still runs.
        let proc = ProcInfo.directory(pid)
        guard proc >= 0 else { return }
        defer { close(proc) }
        exe = ProcInfo.link(at: proc, "exe")
        (argv0, secondArgument) = ProcInfo.firstArguments(at: proc)
        if exe == nil { comm = ProcInfo.text(at: proc, "comm", limit: 64)?.trimmingTrailingNewline }
        cgroup = ProcInfo.cgroup(at: proc)
        gitRoot = ProcInfo.gitRoot(at: proc)
        // The program that ran the peer (for `keyrack get`, the script that wants the key). Its
        // pid is proven like the peer's: a pidfd opened on it, then the peer's PPid read again.
        // Had the parent exited, the peer would have been reparented and PPid would differ.
        guard let ppid = ProcInfo.parentPID(at: proc), ppid > 0 else { return }
        let parentFD = PeerProcess.pidfdOpen(ppid)
        guard parentFD >= 0 else { return }
        defer { close(parentFD) }
        let pexe = ProcInfo.link("/proc/\(ppid)/exe")
        let pargv0 = ProcInfo.argv0(ppid)
        guard PeerProcess.alive(parentFD), ProcInfo.parentPID(at: proc) == ppid else { return }
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
/// The `at:` forms read a file of a /proc/PID directory opened with `directory(_:)`; the others
/// take a whole path.
enum ProcInfo {
    /// /proc/PID as an O_PATH directory descriptor (-1 when the process is gone or hidden).
    static func directory(_ pid: pid_t) -> Int32 {
        open("/proc/\(pid)", openPath | O_DIRECTORY | O_CLOEXEC)
    }

    /// O_PATH (Linux's value on every architecture keyrack builds for), which glibc's headers
    /// only declare under _GNU_SOURCE.
    private static let openPath: Int32 = 0o10000000

    static func link(_ path: String) -> String? { link(at: AT_FDCWD, path) }

    /// The target of a symlink, read into a stack buffer (no array per call).
    static func link(at dir: Int32, _ name: String) -> String? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 4096) { buffer -> String? in
            let n = readlinkat(dir, name, buffer.baseAddress!, buffer.count - 1)
            guard n > 0 else { return nil }
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress!, count: n), as: UTF8.self)
        }
    }

    static func bytes(_ path: String, limit: Int) -> [UInt8]? { bytes(at: AT_FDCWD, path, limit: limit) }

    /// Up to `limit` bytes, read into one array of that capacity (not a zeroed buffer and a copy).
    static func bytes(at dir: Int32, _ name: String, limit: Int) -> [UInt8]? {
        let fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return [UInt8](unsafeUninitializedCapacity: limit) { buffer, count in
            var total = 0
            while total < limit {
                let n = read(fd, buffer.baseAddress! + total, limit - total)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                total += n
            }
            count = total
        }
    }

    static func text(_ path: String, limit: Int) -> String? {
        bytes(path, limit: limit).map { String(decoding: $0, as: UTF8.self) }
    }

    static func text(at dir: Int32, _ name: String, limit: Int) -> String? {
        bytes(at: dir, name, limit: limit).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The first two NUL-separated fields of cmdline (one read).
    static func firstArguments(at dir: Int32) -> (String?, String?) {
        guard let b = bytes(at: dir, "cmdline", limit: 4096), !b.isEmpty else { return (nil, nil) }
        let fields = b.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        return (String(decoding: fields[0], as: UTF8.self), fields.count > 1 ? String(decoding: fields[1], as: UTF8.self) : nil)
    }

    /// The first NUL-separated field of /proc/PID/cmdline, and nothing after it.
    static func argv0(_ pid: pid_t) -> String? {
        guard let b = bytes("/proc/\(pid)/cmdline", limit: 4096), !b.isEmpty else { return nil }
        let first = b.prefix { $0 != 0 }
        return String(decoding: first, as: UTF8.self)
    }

    static func parentPID(_ pid: pid_t) -> pid_t? { parentPID(at: AT_FDCWD, "/proc/\(pid)/status") }

    /// The `PPid:` of a status file. Its lines are found as bytes and the number read from
    /// them: splitting the whole ~1.5 KB file into Character-based String lines was 31% of the
    /// daemon's CPU for a GET, which reads it twice (perf of 300 `keyrack get --value`).
    static func parentPID(at dir: Int32, _ name: String = "status") -> pid_t? {
        guard let status = bytes(at: dir, name, limit: 8192),
              let line = firstLine(of: status, startingWith: "PPid:") else { return nil }
        return decimal(line)
    }

    /// The decimal number between blanks (spaces or tabs, as /proc pads it); nil for anything else.
    static func decimal(_ text: ArraySlice<UInt8>) -> pid_t? {
        var digits = text.drop { $0 == 0x20 || $0 == 0x09 }
        while let last = digits.last, last == 0x20 || last == 0x09 { digits.removeLast() }
        guard !digits.isEmpty, digits.count <= 10 else { return nil }
        var value = 0
        for b in digits {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            value = value * 10 + Int(b - 0x30)
        }
        return pid_t(exactly: value)
    }

    static func cgroup(_ pid: pid_t) -> String? { cgroup(at: AT_FDCWD, "/proc/\(pid)/cgroup") }

    /// The cgroup v2 path ("0::/user.slice/…"), else the first line as it is.
    static func cgroup(at dir: Int32, _ name: String = "cgroup") -> String? {
        guard let text = bytes(at: dir, name, limit: 4096) else { return nil }
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
    /// through its `root` link so a peer in another mount namespace (a sandbox) is examined in
    /// its own view of the file system.
    static func gitRoot(at proc: Int32) -> String? {
        guard var dir = link(at: proc, "cwd"), dir.hasPrefix("/") else { return nil }
        for _ in 0..<64 {
            var st = stat()
            if fstatat(proc, "root" + (dir == "/" ? "" : dir) + "/.git", &st, AT_SYMLINK_NOFOLLOW) == 0 { return dir }
            if dir == "/" { return nil }
            if let slash = dir.utf8.lastIndex(of: UInt8(ascii: "/")) {
                dir = slash == dir.utf8.startIndex ? "/" : String(dir[..<slash])
            } else { return nil }
        }
        return nil
    }
}
