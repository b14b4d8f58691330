import PIV
import TPM
/// The one error type of KeyrackCore. Each error is one line that names what was wrong and what
/// to do next; `kind` tells the CLI which exit code it maps to (docs/cli.md, "Exit codes"). Messages never
/// carry a secret value: they name slugs, owners, paths and public keys only.
///
/// Where the next step is one of keyrack's own commands, the error carries it as a typed
/// `remedy` apart from the `problem` (as PIVError does): the library names no command or
/// option of the CLI, and the CLI words the remedy (and reports its command as `--json`'s `fix`).
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

    /// The next step where it is one of the program's own commands, in terms of what to do
    /// rather than how to type it: the CLI words it (KeyrackPresentation: KeyrackRemedy+Text).
    public enum Remedy: Equatable, Sendable {
        /// The owner has no manifest here: initialise it.
        case initialise(owner: String)
        /// The TypeScript keyrack's manifest of the owner is here: carry it over
        /// (`orStartEmpty`: or move it away to start with an empty manifest).
        case migrate(owner: String, orStartEmpty: Bool)
        /// No identity here opens the manifest: give one, or add a recipient whose key is here
        /// (`environment`: the identity may come from the environment too).
        case giveIdentityOrAddRecipient(environment: Bool)
        /// The identity tried did not open it, or none is recorded for the recipient: give the
        /// private key or identity file that does.
        case giveIdentity
        /// The last recipient cannot go: add another first.
        case addAnotherRecipient(owner: String)
        /// The recipients file is damaged: restore it, or add the recipients again.
        case restoreRecipients(owner: String)
        /// The manifest is damaged: restore it, or move it away and initialise the owner again.
        case restoreOrReinitialise(owner: String)
        /// The repository file has no `org:`: add one (or name the org another way).
        case nameTheOrg
        /// A setting of the key was given wrong or left out: give it, in this form.
        case give(Setting, String)
        /// A setting was given where it does not belong: leave it out.
        case drop(Setting)
        /// What the manifest stores for the key cannot be read: set the key again (with this
        /// setting, in this form; nil: with its value).
        case setAgain(Setting?, String)
        /// A remote vault found nothing where the key's settings point: check them.
        case check([Setting])
        /// The mechanism needs another vault (the CLI words which, with its options).
        case vaultFor(Mechanism)
        /// AWS has no region for the call: store one with the key, or give AWS one.
        case giveRegion
        /// An empty PIN was given for a key that asks one: give one, or make the key need none.
        case giveAPIN
        /// The public key is not of the kind this owner's `via` takes: give one that is.
        case keyFor(Via)
        /// No GitHub Actions ID token outside Actions: the owner needs another OpenBao login.
        case anotherOpenBaoLogin
        /// The card's login slot holds no P-256 key: make one there.
        case makeLoginKey

        /// The remedy in plain words, naming no command or option of a program.
        public var words: String {
            switch self {
            case .initialise: return "initialise the owner first"
            case .migrate(_, let orStartEmpty):
                return "carry its keys over from that manifest" + (orStartEmpty ? " (to start empty instead, move that file away first)" : "")
            case .giveIdentityOrAddRecipient: return "give an identity that opens it, or add a recipient whose key is here"
            case .giveIdentity: return "give the matching private key or identity file"
            case .addAnotherRecipient: return "add another recipient first"
            case .restoreRecipients: return "restore it, or add the recipients again"
            case .restoreOrReinitialise: return "restore it from a backup, or move it away and initialise the owner again"
            case .nameTheOrg: return "add `org: <your-org>`"
            case .give(.postQuantum, _): return "make the owner post-quantum, or use a classic age1… key"
            case .give(let setting, let form): return "give the \(setting.rawValue) as \(form)"
            case .drop(.org): return "name no org, or @all for a machine-wide key"
            case .drop(let setting): return "leave out the \(setting.rawValue)"
            case .setAgain(let setting?, let form): return "set the key again with the \(setting.rawValue) \(form)"
            case .setAgain(nil, _): return "set the key again"
            case .check(let settings): return "check the key's " + settings.map(\.rawValue).joined(separator: " and ")
            case .vaultFor(let mech): return "store the key in a vault that serves mech \(mech.rawValue)"
            case .giveRegion: return "store a region with the key, or set AWS_REGION or the profile's region"
            case .giveAPIN: return "give one, or make the key need no PIN"
            case .keyFor(.ssh): return "give an OpenSSH public key (ssh-ed25519 AAAA… or ssh-rsa AAAA…)"
            case .keyFor(let via): return "give a public key of the kind a \(via.rawValue) owner takes"
            case .anotherOpenBaoLogin: return "outside Actions use another OpenBao login (cert, approle or token)"
            case .makeLoginKey: return "make a P-256 login key in the card's slot 9a"
            }
        }
    }

    /// A setting of a key or owner the user gives (the CLI words each as its option); the raw
    /// value names it in words.
    public enum Setting: String, Equatable, Sendable {
        case exid = "external id", region, account, repositories, permissions, org, mech = "mechanism"
        case openBaoCluster = "OpenBao address and CA", postQuantum = "post-quantum kind"

        /// The setting a key option (KeyOptions) is given with.
        public init?(option: String) { self.init(rawValue: option) }
    }

    public var kind: Kind
    /// What went wrong; with no `remedy`, also what to do (in words that name no command).
    public var problem: String
    /// The next step where it is one of the program's own commands.
    public var remedy: Remedy?
    /// The card failure behind a `.card` error, kept whole rather than as text.
    public var cardFailure: PIVError?
    /// The TPM failure behind a `.card` error (a TPM owner's hardware), kept whole.
    public var tpmFailure: TPMError?

    public init(_ kind: Kind, _ message: String, cardFailure: PIVError? = nil, tpmFailure: TPMError? = nil) {
        self.kind = kind
        self.problem = message
        self.cardFailure = cardFailure
        self.tpmFailure = tpmFailure
    }

    public init(_ kind: Kind, problem: String, remedy: Remedy) {
        self.kind = kind
        self.problem = problem
        self.remedy = remedy
    }

    /// The whole line: the problem, then the remedy in plain words.
    public var message: String { remedy.map { "\(problem): \($0.words)" } ?? problem }

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
    static func usage(_ problem: String, _ remedy: Remedy) -> KeyrackError { KeyrackError(.usage, problem: problem, remedy: remedy) }
    static func failure(_ message: String) -> KeyrackError { KeyrackError(.failure, message) }
    static func damaged(_ message: String) -> KeyrackError { KeyrackError(.damaged, message) }
}
