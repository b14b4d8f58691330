import AgeErrorReport  // AgeOutput.reportingRemoval: the note both binaries write
import AgeFormat
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
    private let input: FileDescriptorSource
    private let output: AgeOutput

    /// Everything checked and opened before any byte of input is read; nil hands the command
    /// line to keyrack-cli. An input file opened here is closed on exec (O_CLOEXEC).
    init?(_ line: AgeCommandLine) {
        self.line = line
        output = AgeOutput.reportingRemoval(path: line.output)
        var recipients: [any Recipient] = []
        var identities: [any Identity] = []
        switch line.verb {
        case .encrypt:
            // The CLI's UsageError for binary data to a terminal.
            if !line.armor, output.isTerminal { return nil }
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
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            input = FileDescriptorSource(fd: fd)
        } else {
            input = FileDescriptorSource.standardInput()
        }
        self.recipients = recipients
        self.identities = identities
    }

    /// Runs the command; throws what keyrack-cli would report.
    func run() throws {
        // The output's lifecycle (created at the first byte, removed when the run fails) is
        // AgeFormat's AgeOutput, the one keyrack-cli's AgeEncryption and AgeDecryption run.
        switch line.verb {
        case .encrypt:
            try output.run {
                try AgeEncryptor.encrypt(from: input, to: recipients, armor: line.armor, output: output.sink())
            }
        case .decrypt:
            let decryptor = try AgeDecryptor(input: input, identities: identities)
            try output.run { try decryptor.decrypt(to: output.sink()) }
        }
    }
}
