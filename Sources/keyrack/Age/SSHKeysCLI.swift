import AgeFormat
import AgeSSH
import KeyrackClient

/// How the CLI reports SSH key errors: the module's one-line descriptions already name what was
/// wrong and what to do. A wrong passphrase is not retried (the user reruns the command).
extension SSHKeyError: CLIReportable {
    public var cliMessage: String { "error: \(description)" }
    public var exitCode: Int32 { ExitStatus.failure }
}

// `keyrack age encrypt -i KEY` derives the recipient from an ssh private key, as age does; for a
// protected key it comes from the public key stored in the clear, without the passphrase.
extension SSHEd25519Identity: RecipientConvertible { var anyRecipient: any Recipient { recipient } }
extension SSHRSAIdentity: RecipientConvertible { var anyRecipient: any Recipient { recipient } }
extension SSHEncryptedIdentity: RecipientConvertible { var anyRecipient: any Recipient { recipient } }
