import Foundation
import KeyrackYAML
#if canImport(Glibc)
import Glibc
#endif

/// The few file operations keyrack's safety rests on, in POSIX terms: private directories,
/// atomic replacement, whole-file reads that tell "absent" from "unreadable".
public enum FileSystem {
    static func errno(_ what: String, _ path: String) -> KeyrackError {
        let code = Glibc.errno
        return KeyrackError.failure("\(what) \(path): \(String(cString: strerror(code)))\(advice(code, path))")
    }

    /// What to do about the failures a user can fix on their own machine. A full disk or a
    /// read-only mount is not a keyrack bug; saying so, and that the previous files were left as
    /// they were (writes go to a temp file first), spares a worried user a bug report.
    static func advice(_ code: Int32, _ path: String) -> String {
        var st = stat()
        let isDirectory = stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
        let dir = isDirectory ? path : URL(fileURLWithPath: path).deletingLastPathComponent().path
        switch code {
        case ENOSPC, EDQUOT:
            return " (the disk holding \(dir) is full): free some space there (see `df -h \(dir)`) and retry; the file it was to replace is intact"
        case EROFS:
            return " (the file system holding \(dir) is mounted read-only): remount it read-write, or point KEYRACK_HOME at a writable directory, and retry; the file it was to replace is intact"
        case EACCES, EPERM:
            return ": check the ownership and mode of \(dir) (keyrack needs it writable by you, mode 0700), then retry"
        default:
            return ""
        }
    }

    /// mkdir 0700 if absent; if present, it must be a directory of this user with no group or
    /// other access (tightened when only the mode is loose and we own it).
    static func makePrivateDirectory(_ url: URL) throws {
        let path = url.path
        if mkdir(path, 0o700) != 0 && Glibc.errno != EEXIST {
            if Glibc.errno == ENOENT {
                try makePrivateDirectory(url.deletingLastPathComponent())
                return try makePrivateDirectory(url)
            }
            throw errno("cannot create directory", path)
        }
        var st = stat()
        guard lstat(path, &st) == 0 else { throw errno("cannot inspect", path) }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw KeyrackError.failure("\(path) exists and is not a directory: move it away")
        }
        guard st.st_uid == getuid() else {
            throw KeyrackError.failure("\(path) belongs to uid \(st.st_uid), not to you (uid \(getuid())): refusing to keep keys there")
        }
        if st.st_mode & 0o077 != 0 {
            guard chmod(path, 0o700) == 0 else { throw errno("cannot restrict mode of", path) }
        }
    }

    /// Largest file keyrack reads whole: a manifest with thousands of values is a few MiB.
    public static let maximumReadSize = 64 << 20

    /// The file's bytes, or nil when it does not exist: a regular file (never a FIFO or a
    /// device, which would hang or flood the reader) of at most `limit` bytes.
    public static func read(_ url: URL, limit: Int = maximumReadSize, noFollow: Bool = false) throws -> [UInt8]? {
        do { return try BoundedFile.read(url.path, limit: limit, noFollow: noFollow) } catch {
            if case .io(let code) = error {
                Glibc.errno = code
                throw errno("cannot read", url.path)
            }
            throw KeyrackError.failure("cannot read \(url.path): \(error.reason)")
        }
    }

    public static func exists(_ url: URL) -> Bool {
        var st = stat()
        return lstat(url.path, &st) == 0
    }

    /// Replaces `url` with `bytes` so that a reader, or a crash at any instant, sees the old file
    /// or the new one, never a mix: temp file in the same directory (same filesystem, so rename is
    /// atomic), written and fsynced, renamed over the target, then the directory fsynced so the
    /// rename itself survives a power cut.
    public static func writeAtomically(_ bytes: [UInt8], to url: URL, mode: mode_t = 0o600) throws {
        let dir = url.deletingLastPathComponent()
        var template = Array(dir.appendingPathComponent(".\(url.lastPathComponent).tmp-XXXXXX").path.utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw errno("cannot create a temporary file in", dir.path) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let tempPath = String(cString: template)
        var renamed = false
        defer {
            if !renamed { unlink(tempPath) }
        }
        do {
            defer { close(fd) }
            guard fchmod(fd, mode) == 0 else { throw errno("cannot set mode of", tempPath) }
            try writeAll(fd, bytes[...], tempPath)
            guard fsync(fd) == 0 else { throw errno("cannot flush", tempPath) }
        }
        guard rename(tempPath, url.path) == 0 else { throw errno("cannot replace", url.path) }
        renamed = true
        let dfd = open(dir.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }

    /// Creates `url` with `bytes` only if it does not exist yet, atomically (written in full
    /// under a temporary name, then hard-linked into place, which fails if the name is taken).
    /// Returns false when the file already existed; it is then left untouched.
    static func createExclusively(_ bytes: [UInt8], at url: URL, mode: mode_t = 0o600) throws -> Bool {
        let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).new-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try writeAtomically(bytes, to: temp, mode: mode)
        defer { unlink(temp.path) }
        if link(temp.path, url.path) != 0 {
            if Glibc.errno == EEXIST { return false }
            throw errno("cannot create", url.path)
        }
        return true
    }

    private static func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>, _ path: String) throws {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                throw errno("cannot write", path)
            }
            offset += n
        }
    }

    /// Removes temp files a killed writer left beside `url`. Only called under the owner's lock,
    /// when no live writer of that file can exist.
    static func removeStaleTemporaries(of url: URL) {
        let dir = url.deletingLastPathComponent()
        let prefix = ".\(url.lastPathComponent).tmp-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return }
        for name in names where name.hasPrefix(prefix) {
            unlink(dir.appendingPathComponent(name).path)
        }
    }

    /// Removes `url`; absent is fine.
    static func remove(_ url: URL) throws {
        if unlink(url.path) != 0 && Glibc.errno != ENOENT { throw errno("cannot remove", url.path) }
    }
}
