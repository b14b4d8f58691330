import AgeFormat
import KeyrackCore

/// `keyrack age encrypt`: age's `-e`, to recipients or with a passphrase.
public enum AgeEncryption {
    /// Who the file is for, as the command line gave it.
    public struct Request: Equatable, Sendable {
        /// Recipient strings (age1…, age1pq1…, age1yubikey1…, ssh public key lines).
        public var recipients: [String]
        /// Files of recipients, one per line.
        public var recipientFiles: [String]
        /// Identity files whose recipients are derived (their secret keys are not needed).
        public var identityFiles: [String]
        /// A passphrase asked on the terminal instead (scrypt), alone.
        public var passphrase: Bool
        /// The passphrase's scrypt work factor (log2 N): age's 18 unless a test wants it fast.
        public var workFactor: Int

        public init(recipients: [String] = [], recipientFiles: [String] = [], identityFiles: [String] = [], passphrase: Bool = false, workFactor: Int = 18) {
            (self.recipients, self.recipientFiles, self.identityFiles, self.passphrase) = (recipients, recipientFiles, identityFiles, passphrase)
            self.workFactor = workFactor
        }

        public var hasRecipients: Bool { !recipients.isEmpty || !recipientFiles.isEmpty || !identityFiles.isEmpty }
    }

    /// The recipients of `request`: strings first, then each recipients file, then each
    /// identity file's derived recipients; or one scrypt recipient from a passphrase typed twice.
    public static func recipients(_ request: Request, terminal: any UserTerminal) throws -> [any Recipient] {
        if request.passphrase {
            let first = try terminal.ask(.passphrase(prompt: "Enter passphrase: "))
            guard !first.isEmpty else { throw AgeToolError.emptyPassphrase }
            let again = try terminal.ask(.passphrase(prompt: "Confirm passphrase: "))
            guard first == again else { throw AgeToolError.passphrasesDiffer }
            return [ScryptRecipient(passphrase: first, workFactor: request.workFactor)]
        }
        var result = try request.recipients.map(AgeKeyFiles.recipient)
        for path in request.recipientFiles {
            let bytes = try AgeKeyFiles.read(path, what: "recipients file", secret: false)
            result += try AgeKeyFiles.recipients(fileContents: bytes, path: path)
        }
        for path in request.identityFiles {
            let bytes = try AgeKeyFiles.read(path, what: "identity file", secret: true)
            let identities = try AgeKeyFiles.identities(fileContents: bytes, path: path, terminal: terminal)
            result += try AgeKeyFiles.recipients(of: identities, path: path)
        }
        return result
    }

    /// Encrypts `input` (a path, or stdin for nil or `-`) to `output`. Binary data is refused
    /// on a terminal before anything is read or asked.
    public static func run(_ request: Request, input: String?, output: AgeOutput, armor: Bool, terminal: any UserTerminal) throws {
        if !armor, output.isTerminal { throw AgeToolError.binaryToTerminal }
        let recipients = try recipients(request, terminal: terminal)
        let source = try AgeInput.open(input)
        try output.run {
            try AgeEncryptor.encrypt(from: source, to: recipients, armor: armor, output: output.sink())
        }
    }
}
