import AgeFormat
#if canImport(Glibc)
import Glibc
import KeyrackClient
#endif

/// How `keyrack age` reports the age core's errors: one line naming what was wrong and what to
/// try next. All are exit 1 (a failure of the file or key, not of the command line).
extension AgeError: CLIReportable {
    public var cliMessage: String {
        switch self {
        case .noMatchingIdentity:
            return "error: \(description); check that -i names the key this file was encrypted to"
        case .headerMACMismatch:
            return "error: \(description); the file is corrupted or was modified, do not trust it"
        case .truncated:
            return "error: \(description); the output holds only the part that authenticated, get a complete copy of the file"
        case .malformedHeader:
            return "error: \(description); is this an age file?"
        case .payloadAuthenticationFailed, .trailingData, .emptyLastChunk:
            return "error: \(description); get an intact copy of the file"
        case .malformedArmor:
            return "error: \(description); the armored file was altered (line breaks, extra text?)"
        case .invalidKey, .incompatibleRecipients, .malformedStanza, .scrypt, .io:
            return "error: \(description)"
        }
    }
    public var exitCode: Int32 { ExitStatus.failure }
}

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
enum AgeInput {
    static func open(_ path: String?) throws -> FileDescriptorSource {
        guard let path, path != "-" else {
            widenPipe(STDIN_FILENO)
            return FileDescriptorSource(fd: STDIN_FILENO)
        }
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CommandFailure("cannot open input '\(path)': \(String(cString: strerror(errno))); check the path")
        }
        return FileDescriptorSource(fd: fd)
    }

    /// Reads a small key file whole (identity and recipient files are capped at 16 MiB).
    static func readKeyFile(_ path: String, what: String) throws -> [UInt8] {
        let source: FileDescriptorSource
        do { source = try open(path) } catch {
            throw CommandFailure("cannot read \(what) file '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { if source.fd != STDIN_FILENO { close(source.fd) } }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { break }
            bytes += chunk[..<n]
            guard bytes.count <= AgeKeys.maxFileBytes else { throw CommandFailure("\(what) file '\(path)' is larger than 16 MiB") }
        }
        return bytes
    }
}

/// The output of an age command: a file given with -o, or stdout. The file is created only when
/// there is something to write (so a wrong key leaves no empty file behind) and is removed when
/// the command fails, so a failed decryption never leaves plaintext that did not all authenticate.
final class AgeOutput {
    let path: String?
    private let mode: mode_t
    private var fd: Int32 = -1

    init(path: String?, mode: mode_t = 0o666) {
        self.path = (path == "-") ? nil : path
        self.mode = mode
    }

    var isTerminal: Bool { path == nil && isatty(STDOUT_FILENO) == 1 }

    func sink() throws -> FileDescriptorSink {
        guard let path else {
            widenPipe(STDOUT_FILENO)
            return FileDescriptorSink(fd: STDOUT_FILENO)
        }
        if fd < 0 {
            fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
            guard fd >= 0 else {
                throw CommandFailure("cannot create output '\(path)': \(String(cString: strerror(errno)))")
            }
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
            throw CommandFailure("cannot write output '\(path ?? "-")': \(why)")
        }
    }

    /// Closes and deletes the file after a failure; says so on stderr.
    func abandon() {
        guard fd >= 0, let path else { return }
        close(fd)
        fd = -1
        unlink(path)
        Terminal.printError("keyrack: removed the incomplete output '\(path)'")
    }

    /// Runs `body`, then commits, or abandons the output when `body` throws.
    func run(_ body: () throws -> Void) throws {
        do {
            try body()
            try commit()
        } catch {
            abandon()
            throw error
        }
    }
}
