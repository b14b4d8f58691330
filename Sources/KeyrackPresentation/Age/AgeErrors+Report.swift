import AgeFormat
import AgeSSH
import KeyrackApp
import KeyrackClient

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
