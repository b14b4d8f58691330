#if canImport(Glibc)
import Glibc
#endif

/// Where an owner's daemon listens: `$XDG_RUNTIME_DIR/keyrack/daemon.<owner>.sock`, or
/// `/tmp/keyrack-<uid>/daemon.<owner>.sock` when there is no XDG runtime directory.
///
/// The directory is the first fence: 0700 and ours, so no other user can reach the socket or
/// plant one of their own in its place (the vision's `/tmp/keyrack-daemon.<owner>.sock` sits in
/// a world-writable directory where anyone could pre-create that path). In the `/tmp` fallback
/// the name is predictable, so an existing directory is accepted only when it is ours, not a
/// symlink, and closed to group and others. The kernel check (SO_PEERCRED) is the second fence.
public struct RuntimeDirectory: Sendable, Equatable {
    public let path: String

    public init(path: String) { self.path = path }

    /// The directory for this process, from `XDG_RUNTIME_DIR` or the `/tmp` fallback.
    public static func current(uid: uid_t = getuid()) -> RuntimeDirectory {
        resolve(xdgRuntimeDirectory: getenv("XDG_RUNTIME_DIR").map { String(cString: $0) }, uid: uid)
    }

    /// The rule itself, for a given XDG_RUNTIME_DIR (the sandbox computes it for its clients).
    public static func resolve(xdgRuntimeDirectory xdg: String?, uid: uid_t) -> RuntimeDirectory {
        if let xdg, xdg.hasPrefix("/") { return RuntimeDirectory(path: xdg + "/keyrack") }
        return RuntimeDirectory(path: "/tmp/keyrack-\(uid)")
    }

    public func socket(owner: String) -> String { "\(path)/daemon.\(owner).sock" }
    public func pidFile(owner: String) -> String { "\(path)/daemon.\(owner).pid" }
    /// Held by `unlock` while it checks for and starts a daemon, so two unlocks start one.
    public func startLock(owner: String) -> String { "\(path)/daemon.\(owner).start.lock" }
    /// The daemon's stdout/stderr: lifecycle and denied attempts, never a secret.
    public func logFile(owner: String) -> String { "\(path)/daemon.\(owner).log" }

    /// Creates the directory 0700 if absent (the parent must exist), then checks it.
    public func prepare() throws {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw DaemonError.unsafeRuntimeDirectory("cannot create the daemon directory \(path): \(DaemonError.describe(errno: errno)); set XDG_RUNTIME_DIR to a private directory")
        }
        try check()
    }

    /// Refuses a directory that is a symlink, someone else's, or open to group or others.
    public func check(trustedUIDs: [uid_t] = [geteuid()]) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            throw DaemonError.unsafeRuntimeDirectory("cannot inspect \(path): \(DaemonError.describe(errno: errno))")
        }
        try RuntimeDirectory.checkPrivate(path, st, trustedUIDs: trustedUIDs)
    }

    static func checkPrivate(_ path: String, _ st: stat, trustedUIDs: [uid_t]) throws {
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw DaemonError.unsafeRuntimeDirectory("the daemon directory \(path) is not a directory (a symlink or file is in the way): remove it, or set XDG_RUNTIME_DIR to a private directory")
        }
        guard trustedUIDs.contains(st.st_uid) else {
            throw DaemonError.unsafeRuntimeDirectory("the daemon directory \(path) belongs to uid \(st.st_uid), not to you (uid \(geteuid())): someone may be impersonating your daemon; remove it (as root if need be), or set XDG_RUNTIME_DIR to a private directory")
        }
        guard st.st_mode & 0o077 == 0 else {
            throw DaemonError.unsafeRuntimeDirectory("the daemon directory \(path) has mode \(String(st.st_mode & 0o777, radix: 8)), open to others: run `chmod 700 \(path)`, or remove it")
        }
    }

    /// What every client checks before it connects: the directory as `check` wants it, its
    /// parent not replaceable by others (theirs to rename in), and the socket a socket of a
    /// trusted uid. False when there is no directory or no socket: no daemon runs.
    public func verifyForClient(owner: String? = nil, trustedUIDs: [uid_t]) throws -> Bool {
        var st = stat()
        if lstat(path, &st) != 0 {
            if errno == ENOENT || errno == ENOTDIR { return false }
            throw DaemonError.unsafeRuntimeDirectory("cannot inspect the daemon directory \(path): \(DaemonError.describe(errno: errno)); set XDG_RUNTIME_DIR to a private directory")
        }
        try RuntimeDirectory.checkPrivate(path, st, trustedUIDs: trustedUIDs)
        let parent = RuntimeDirectory.parent(of: path)
        var pst = stat()
        if stat(parent, &pst) == 0 {
            let writableByOthers = pst.st_mode & 0o022 != 0 && pst.st_mode & S_ISVTX == 0
            if (pst.st_uid != 0 && !trustedUIDs.contains(pst.st_uid)) || writableByOthers {
                throw DaemonError.unsafeRuntimeDirectory("\(parent), which holds the daemon directory, can be changed by uid \(pst.st_uid) or others (mode \(String(pst.st_mode & 0o7777, radix: 8))): set XDG_RUNTIME_DIR to a directory only you can write")
            }
        }
        guard let owner else { return true }
        let socket = self.socket(owner: owner)
        var sst = stat()
        if lstat(socket, &sst) != 0 { return false }
        guard (sst.st_mode & S_IFMT) == S_IFSOCK, trustedUIDs.contains(sst.st_uid) else {
            throw DaemonError.unsafeRuntimeDirectory("\(socket) is not a socket of yours (uid \(sst.st_uid), mode \(String(sst.st_mode & 0o7777, radix: 8))): remove it, then unlock again")
        }
        return true
    }

    static func parent(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")), slash != path.utf8.startIndex else { return "/" }
        return String(path[..<slash])
    }
}
