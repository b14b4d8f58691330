#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The input and output ends of an `age encrypt|decrypt` run, one copy for both binaries that run
// one: keyrack-cli (through KeyrackApp's AgeEncryption / AgeDecryption) and the static,
// Foundation-free keyrack-age (Tests/CLITests/AgeFrontEndAgreementTests.swift holds the two to
// the same files, messages and exit codes). Here, beside FileDescriptorSource and
// FileDescriptorSink, because AgeFormat is the one module below both that does file-descriptor IO
// already, and because removing a failed run's file is the file-level half of STREAM's rule that
// no plaintext is released before it authenticated: the decryptor writes only chunks that did,
// and AgeOutput takes back what it wrote when a later chunk does not.

/// A pipe holds 64 KiB by default, so a 1 MiB batch of chunks would go through it in sixteen
/// hand-offs to the reader on the other end, each a wake-up on a machine whose cores the chunks
/// already keep busy. 1 MiB (the unprivileged maximum) makes it one. Best effort: a pipe that
/// cannot grow still works.
private func widenPipe(_ fd: Int32) {
    #if os(Linux)
    var st = stat()
    guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFIFO else { return }
    let F_SETPIPE_SZ: Int32 = 1031  // <fcntl.h> under _GNU_SOURCE, which Swift's Glibc does not see
    _ = fcntl(fd, F_SETPIPE_SZ, Int32(1 << 20))
    #endif
}

extension FileDescriptorSource {
    /// stdin as an age command reads it, its pipe (if it is one) widened for 1 MiB batches.
    public static func standardInput() -> FileDescriptorSource {
        widenPipe(STDIN_FILENO)
        return FileDescriptorSource(fd: STDIN_FILENO)
    }
}

/// Why the output of an age command could not be written. `problem` only: the path and the
/// system's reason say it all, and no fix names a flag of either binary.
public enum AgeOutputError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The output file cannot be created.
    case cannotCreate(path: String, reason: String)
    /// Closing the output failed (a full disk on NFS); the file was removed.
    case cannotWrite(path: String, reason: String)

    public var problem: String {
        switch self {
        case .cannotCreate(let path, let reason): return "cannot create output '\(path)': \(reason)"
        case .cannotWrite(let path, let reason): return "cannot write output '\(path)': \(reason)"
        }
    }

    public var description: String { problem }
}

/// The output of an age command: a file, or stdout for none or `-`. The file is created only
/// when there is something to write (so a wrong key leaves no empty file behind, and an existing
/// file is not truncated by a run that fails before its first byte) and is removed when the
/// command fails, so a failed decryption never leaves plaintext that did not all authenticate.
/// stdout is never closed or removed. `removed` hears of a file removed after a failure (both
/// binaries say so on stderr).
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

    /// Where to write: stdout (its pipe widened), or the file, created on the first call.
    public func sink() throws -> FileDescriptorSink {
        guard let path else {
            widenPipe(STDOUT_FILENO)
            return FileDescriptorSink(fd: STDOUT_FILENO)
        }
        if fd < 0 {
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
            guard fd >= 0 else { throw AgeOutputError.cannotCreate(path: path, reason: String(cString: strerror(errno))) }
        }
        return FileDescriptorSink(fd: fd)
    }

    /// Runs `body`, then closes the file (a failing close, a full disk on NFS, is a failed write:
    /// the file is removed), or closes and removes the file when `body` throws.
    public func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            abandon()
            throw error
        }
        try commit()
    }

    private func commit() throws {
        guard fd >= 0, let path else { return }
        let rc = close(fd)
        fd = -1
        guard rc == 0 else {
            let why = String(cString: strerror(errno))
            unlink(path)
            throw AgeOutputError.cannotWrite(path: path, reason: why)
        }
    }

    private func abandon() {
        guard fd >= 0, let path else { return }
        close(fd)
        fd = -1
        unlink(path)
        removed(path)
    }
}
