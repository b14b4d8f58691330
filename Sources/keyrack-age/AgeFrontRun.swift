import AgeFormat
import KeyrackClient
#if canImport(Glibc)
import Glibc
#endif

// `keyrack age encrypt|decrypt` run by keyrack-age, step for step as keyrack-cli's
// AgeEncryptCommand and AgeDecryptCommand run them (same order of reads, opens and writes, same
// messages, same exit codes: Tests/CLITests/AgeFrontEndAgreementTests.swift compares the two
// binaries). What must fail before the stream starts (an input that does not open, a binary
// output to a terminal) is not reported here: `prepare` returns nil and keyrack-cli is exec'd.

struct AgeFrontRun {
    private let line: AgeCommandLine
    private let recipients: [any Recipient]
    private let identities: [any Identity]
    private let input: Int32

    /// Everything checked and opened before any byte of input is read; nil hands the command
    /// line to keyrack-cli. An input file opened here is closed on exec (O_CLOEXEC).
    init?(_ line: AgeCommandLine) {
        self.line = line
        var recipients: [any Recipient] = []
        var identities: [any Identity] = []
        switch line.verb {
        case .encrypt:
            // The CLI's UsageError for binary data to a terminal.
            if !line.armor, line.output == nil, isatty(STDOUT_FILENO) == 1 { return nil }
            for string in line.recipients {
                guard let recipient = AgeFrontKeys.recipient(string) else { return nil }
                recipients.append(recipient)
            }
            for path in line.recipientFiles {
                guard let found = AgeFrontKeys.recipients(file: path) else { return nil }
                recipients += found as [any Recipient]
            }
            for path in line.identityFiles {
                guard let found = AgeFrontKeys.identities(file: path) else { return nil }
                recipients += found.map { $0.recipient } as [any Recipient]
            }
        case .decrypt:
            for path in line.identityFiles {
                guard let found = AgeFrontKeys.identities(file: path) else { return nil }
                identities += found as [any Identity]
            }
        }
        if let path = line.input {
            input = open(path, O_RDONLY | O_CLOEXEC)
            guard input >= 0 else { return nil }
        } else {
            widenPipe(STDIN_FILENO)
            input = STDIN_FILENO
        }
        self.recipients = recipients
        self.identities = identities
    }

    /// Runs the command; throws what keyrack-cli would report.
    func run() throws {
        let source = FileDescriptorSource(fd: input)
        let target = AgeFrontOutput(path: line.output)
        switch line.verb {
        case .encrypt:
            try target.run {
                try AgeEncryptor.encrypt(from: source, to: recipients, armor: line.armor, output: target.sink())
            }
        case .decrypt:
            let decryptor = try AgeDecryptor(input: source, identities: identities)
            try target.run { try decryptor.decrypt(to: target.sink()) }
        }
    }
}

/// A pipe holds 64 KiB by default; 1 MiB (the unprivileged maximum) lets one 1 MiB batch of
/// chunks through in one hand-off. Best effort, as keyrack-cli's AgeFiles does it.
func widenPipe(_ fd: Int32) {
    var st = stat()
    guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFIFO else { return }
    let F_SETPIPE_SZ: Int32 = 1031  // <fcntl.h> under _GNU_SOURCE, which Swift's Glibc does not see
    _ = fcntl(fd, F_SETPIPE_SZ, Int32(1 << 20))
}

/// The output: `-o` file or stdout. As keyrack-cli's AgeOutput: the file is created only when
/// there is something to write and removed when the command fails, so a failed decryption never
/// leaves plaintext that did not all authenticate.
final class AgeFrontOutput {
    let path: String?
    private var fd: Int32 = -1

    init(path: String?) { self.path = path }

    func sink() throws -> FileDescriptorSink {
        guard let path else {
            widenPipe(STDOUT_FILENO)
            return FileDescriptorSink(fd: STDOUT_FILENO)
        }
        if fd < 0 {
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
            guard fd >= 0 else {
                throw CommandFailure("cannot create output '\(path)': \(String(cString: strerror(errno)))")
            }
        }
        return FileDescriptorSink(fd: fd)
    }

    /// Runs `body`, then closes the file (a failing close is a failed write), or removes the
    /// file when `body` throws.
    func run(_ body: () throws -> Void) throws {
        do { try body() } catch {
            if fd >= 0, let path {
                close(fd)
                fd = -1
                unlink(path)
                Terminal.printError("keyrack: removed the incomplete output '\(path)'")
            }
            throw error
        }
        guard fd >= 0 else { return }
        let rc = close(fd)
        fd = -1
        guard rc == 0 else {
            let why = String(cString: strerror(errno))
            if let path { unlink(path) }
            throw CommandFailure("cannot write output '\(path ?? "-")': \(why)")
        }
    }
}
