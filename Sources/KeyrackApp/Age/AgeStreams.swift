import AgeFormat
#if canImport(Glibc)
import Glibc
#endif

/// A pipe holds 64 KiB by default, so a 1 MiB batch of chunks would go through it in sixteen
/// hand-offs to the reader on the other end, each a wake-up on a machine whose cores the chunks
/// already keep busy. 1 MiB (the unprivileged maximum) makes it one. Best effort: a pipe that
/// cannot grow still works.
private func widenPipe(_ fd: Int32) {
    var st = stat()
    guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFIFO else { return }
    let F_SETPIPE_SZ: Int32 = 1031  // <fcntl.h> under _GNU_SOURCE, which Swift's Glibc does not see
    _ = fcntl(fd, F_SETPIPE_SZ, Int32(1 << 20))
}

/// The input of an age command: a file path, or stdin for none or `-`.
public enum AgeInput {
    public static func open(_ path: String?) throws -> FileDescriptorSource {
        guard let path, path != "-" else {
            widenPipe(STDIN_FILENO)
            return FileDescriptorSource(fd: STDIN_FILENO)
        }
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw AgeToolError.cannotOpenInput(path: path, reason: String(cString: strerror(errno))) }
        return FileDescriptorSource(fd: fd)
    }
}

/// The output of an age command: a file, or stdout for none or `-`. The file is created only
/// when there is something to write (so a wrong key leaves no empty file behind) and is removed
/// when the command fails, so a failed decryption never leaves plaintext that did not all
/// authenticate. `removed` hears of a file removed after a failure (the CLI says so on stderr).
public final class AgeOutput {
    public let path: String?
    private let mode: mode_t
    private let removed: (String) -> Void
    private var fd: Int32 = -1

    public init(path: String?, mode: mode_t = 0o666, removed: @escaping (String) -> Void = { _ in }) {
        self.path = (path == "-") ? nil : path
        self.mode = mode
        self.removed = removed
    }

    /// Whether the output is stdout on a terminal (no place for binary age data).
    public var isTerminal: Bool { path == nil && isatty(STDOUT_FILENO) == 1 }

    public func sink() throws -> FileDescriptorSink {
        guard let path else {
            widenPipe(STDOUT_FILENO)
            return FileDescriptorSink(fd: STDOUT_FILENO)
        }
        if fd < 0 {
            fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
            guard fd >= 0 else { throw AgeToolError.cannotCreateOutput(path: path, reason: String(cString: strerror(errno))) }
        }
        return FileDescriptorSink(fd: fd)
    }

    /// Closes the file; a failing close (full disk on NFS) is an error like a failing write.
    func commit() throws {
        guard fd >= 0 else { return }
        let rc = close(fd)
        fd = -1
        guard rc == 0 else {
            let why = String(cString: strerror(errno))
            if let path { unlink(path) }
            throw AgeToolError.cannotWriteOutput(path: path ?? "-", reason: why)
        }
    }

    /// Closes and deletes the file after a failure.
    func abandon() {
        guard fd >= 0, let path else { return }
        close(fd)
        fd = -1
        unlink(path)
        removed(path)
    }

    /// Runs `body`, then commits, or abandons the output when `body` throws.
    public func run(_ body: () throws -> Void) throws {
        do {
            try body()
            try commit()
        } catch {
            abandon()
            throw error
        }
    }
}
