/// Why an `age` encrypt, decrypt or keygen could not run, beyond the age format's own errors
/// (AgeError, and AgeOutputError for the output file) and the key files' (KeyrackError from
/// KeyFile). `problem` and `fix` apart, so the CLI renders both from one value; the fix names no
/// keyrack flag (the CLI words its own).
public enum AgeToolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A recipient string that does not parse (`reason` names no secret: RecipientString).
    case invalidRecipient(reason: String)
    /// The passphrase typed for a new passphrase file is empty.
    case emptyPassphrase
    /// The passphrase and its confirmation differ.
    case passphrasesDiffer
    /// An identity file holds a key (a card stub, a TPM key) whose recipient cannot be derived
    /// offline, so it cannot be encrypted to from that file. `path` is nil for stdin.
    case underivableRecipient(path: String?)
    /// A passphrase-encrypted file that the typed passphrase does not open (age's "no identity
    /// matched" for scrypt, in the user's words).
    case wrongPassphrase
    /// A file encrypted to recipients (their stanza kinds, sorted) was given no identity: there
    /// is no passphrase to ask.
    case needsIdentity(kinds: [String])
    /// The input file cannot be opened.
    case cannotOpenInput(path: String, reason: String)
    /// keygen never overwrites a file: this one exists.
    case keyFileExists(path: String)
    /// keygen cannot create its new key file for another reason.
    case cannotCreateKeyFile(path: String, reason: String)
    /// Binary age data would go to a terminal.
    case binaryToTerminal
    /// stdin (`-`) as a key file cannot be read, or holds more than a key file.
    case unreadableStdin(what: String, reason: String)

    public var problem: String {
        switch self {
        case .invalidRecipient(let reason): return "invalid recipient: \(reason)"
        case .emptyPassphrase: return "the passphrase is empty"
        case .passphrasesDiffer: return "the passphrases do not match"
        case .underivableRecipient(let path?): return "identity file '\(path)' holds a key whose recipient cannot be derived"
        case .underivableRecipient(nil): return "this identity kind has no derivable recipient"
        case .wrongPassphrase: return "incorrect passphrase for this passphrase-encrypted file"
        case .needsIdentity(let kinds): return "this file is encrypted to recipients (\(kinds.joined(separator: ", "))), not a passphrase"
        case .cannotOpenInput(let path, let reason): return "cannot open input '\(path)': \(reason)"
        case .keyFileExists(let path): return "cannot create '\(path)': it already exists (keygen never overwrites a key)"
        case .cannotCreateKeyFile(let path, let reason): return "cannot create '\(path)': \(reason)"
        case .binaryToTerminal: return "refusing to write binary age data to a terminal"
        case .unreadableStdin(let what, let reason): return "cannot read the \(what) from stdin: \(reason)"
        }
    }

    /// What to do next, in general words; nil when the problem says it all.
    public var fix: String? {
        switch self {
        case .invalidRecipient, .underivableRecipient(nil), .keyFileExists, .cannotCreateKeyFile, .unreadableStdin:
            return nil
        case .emptyPassphrase: return "type one (it is not echoed)"
        case .passphrasesDiffer: return "run the command again"
        case .underivableRecipient: return "encrypt to its public key instead"
        case .wrongPassphrase: return "try again (passphrases are case-sensitive)"
        case .needsIdentity: return "give the identity file that opens it"
        case .cannotOpenInput: return "check the path"
        case .binaryToTerminal: return "armor the output or write it to a file"
        }
    }

    /// Whether the command line was wrong (as opposed to a file, a key or the system).
    public var isUsage: Bool {
        switch self {
        case .invalidRecipient, .emptyPassphrase, .passphrasesDiffer, .underivableRecipient(.some), .needsIdentity, .binaryToTerminal: return true
        default: return false
        }
    }

    public var description: String { fix.map { "\(problem); \($0)" } ?? problem }
}
