import PIV
import TPM
/// The one error type of KeyrackCore. Each error is one line that names what was wrong and what
/// to do next; `kind` tells the CLI which exit code it maps to (docs/cli.md, "Exit codes"). Messages never
/// carry a secret value: they name slugs, owners, paths and public keys only.
public struct KeyrackError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// Bad input the caller can fix (exit 2): names, env, vault, duration, pubkey files,
        /// an owner that was never initialised.
        case usage
        /// No identity on this machine opens the owner's manifest (exit 1): the message names
        /// the owner and the recipients the manifest needs.
        case wrongIdentity
        /// A manifest or keyrack file that does not parse or decrypt (exit 1). It is never
        /// overwritten by the command that found it damaged.
        case damaged
        /// A YubiKey problem: no card, PIN blocked, touch timeout (exit 5).
        case card
        /// Anything else (exit 1): I/O, a vault tool that failed.
        case failure
    }

    public var kind: Kind
    public var message: String
    /// The card failure behind a `.card` error, kept whole rather than as text.
    public var cardFailure: PIVError?
    /// The TPM failure behind a `.card` error (a TPM owner's hardware), kept whole.
    public var tpmFailure: TPMError?

    public init(_ kind: Kind, _ message: String, cardFailure: PIVError? = nil, tpmFailure: TPMError? = nil) {
        self.kind = kind
        self.message = message
        self.cardFailure = cardFailure
        self.tpmFailure = tpmFailure
    }

    /// A card error that means the card is not here (pcscd down, no card, another serial): the
    /// one card failure after which `unlock` may try a backup recipient. A card that is here and
    /// refuses (wrong PIN, touch timeout, pulled out mid-operation) stops the unlock instead.
    public var isCardAbsent: Bool {
        switch cardFailure {
        case .pcscdNotRunning?, .noCard?, .cardNotFound?: return true
        default: break
        }
        // A machine without a TPM, or an identity whose key another machine's TPM sealed, is a
        // card not plugged in; a TPM that is here and refuses (wrong PIN, lockout, lost mid-command) is not.
        switch tpmFailure {
        case .noTPM?, .permissionDenied?, .otherTPM?: return true
        default: return false
        }
    }

    public var description: String { message }

    static func usage(_ message: String) -> KeyrackError { KeyrackError(.usage, message) }
    static func failure(_ message: String) -> KeyrackError { KeyrackError(.failure, message) }
    static func damaged(_ message: String) -> KeyrackError { KeyrackError(.damaged, message) }
}
