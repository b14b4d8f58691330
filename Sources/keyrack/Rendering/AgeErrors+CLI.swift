import AgeFormat
import AgeSSH
import KeyrackApp
import KeyrackClient

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

/// How the CLI reports SSH key errors: the module's one-line descriptions already name what was
/// wrong and what to do. A wrong passphrase is not retried (the user reruns the command).
extension SSHKeyError: CLIReportable {
    public var cliMessage: String { "error: \(description)" }
    public var exitCode: Int32 { ExitStatus.failure }
}

/// The age commands' own errors, with the fix in their flags where it is one.
extension AgeToolError: CLIReportable {
    public var cliMessage: String {
        switch self {
        case .invalidRecipient(let reason): return "error: invalid -r recipient: \(reason)"
        case .underivableRecipient(.some): return "error: \(problem); use -r with its public key"
        case .needsIdentity: return "error: \(problem); give the identity file with -i"
        case .binaryToTerminal: return "error: \(problem); use -a for armor or -o FILE"
        default: return "error: \(description)"
        }
    }
    public var exitCode: Int32 { isUsage ? ExitStatus.usage : ExitStatus.failure }
}

/// The age commands' secrets: the terminal's, and a note on stderr when a failed run removed
/// its partial output file.
enum AgeCLI {
    static let terminal = LiveTerminal()

    static func output(_ path: String?) -> AgeOutput {
        AgeOutput(path: path, removed: { Terminal.printError("keyrack: removed the incomplete output '\($0)'") })
    }
}
