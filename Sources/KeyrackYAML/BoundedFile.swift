#if canImport(Glibc)
import Glibc
#endif

/// Whole-file reads for the files keyrack trusts to be small and regular: a repository's
/// `.agent/keyrack.yml`, manifests, key files. A FIFO in their place would hang the reader
/// forever and `/dev/zero` would exhaust its memory, so the file is opened non-blocking, must be
/// a regular file (checked on the open descriptor, not the path, so no swap slips in between),
/// and is read only up to `limit` bytes. `noFollow` refuses a symlink where none is legitimate.
public enum BoundedFile {
    public enum Failure: Error, Equatable {
        case notRegular(String)
        case tooLarge(limit: Int)
        case symlink
        case io(Int32)

        /// The reason, to follow "cannot read PATH: ".
        public var reason: String {
            switch self {
            case .notRegular(let kind): return "it is \(kind), not a regular file: replace it with a regular file"
            case .tooLarge(let limit): return "it is larger than \(BoundedFile.describe(limit)), which no keyrack file needs to be: move it away"
            case .symlink: return "it is a symbolic link, which keyrack does not follow here: replace it with the file itself"
            case .io(let e): return String(cString: strerror(e))
            }
        }
    }

    /// The file's bytes, or nil when it does not exist.
    public static func read(_ path: String, limit: Int, noFollow: Bool = false) throws(Failure) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (noFollow ? O_NOFOLLOW : 0))
        if fd < 0 {
            let e = errno
            if e == ENOENT { return nil }
            if e == ELOOP && noFollow { throw .symlink }
            throw .io(e)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .io(errno) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw .notRegular(kind(st.st_mode)) }
        guard Int(st.st_size) <= limit else { throw .tooLarge(limit: limit) }
        // Read straight into the result, sized from fstat with one byte to spare (so the read
        // that finds the end needs no room of its own), rather than through a 64 KiB scratch
        // buffer allocated and zeroed per file: `keyrack get` reads the repository file on every
        // call. Not zeroed first either: a pass over a 4 MB manifest for nothing (issue 32).
        var failure: Failure?
        var out = [UInt8](unsafeUninitializedCapacity: Int(st.st_size) + 1) { buffer, initialized in
            while initialized < buffer.count {
                let n = Glibc.read(fd, buffer.baseAddress! + initialized, buffer.count - initialized)
                if n < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    failure = .io(errno)
                    return
                }
                if n == 0 { return }
                initialized += n
                guard initialized <= limit else { failure = .tooLarge(limit: limit); return }
            }
        }
        if let failure { throw failure }
        // The end came before the byte to spare: that is the file. Else it grew while it was
        // read: on as before, held to the limit.
        guard out.count == Int(st.st_size) + 1 else { return out }
        var count = out.count
        while true {
            if count == out.count {
                // A file that grows while it is read is held to the same limit.
                guard count <= limit else { throw .tooLarge(limit: limit) }
                out += repeatElement(0, count: min(max(out.count, 4096), limit + 1 - out.count))
            }
            let n = out.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw .io(errno)
            }
            if n == 0 { break }
            count += n
            guard count <= limit else { throw .tooLarge(limit: limit) }
        }
        out.removeSubrange(count...)
        return out
    }

    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFDIR: return "a directory"
        default: return "not a regular file"
        }
    }

    static func describe(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? "\(bytes >> 20) MiB" : "\(bytes >> 10) KiB"
    }
}
