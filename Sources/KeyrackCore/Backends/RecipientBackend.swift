import AgeFormat
import Foundation
import SecretBytes

/// How an owner proves itself (docs/architecture.md): one implementation per `via`. A backend derives
/// the recipient at `init`, turns a stored public key back into an age `Recipient` (software only,
/// no secret needed, so any keyrack process can re-encrypt a manifest), and produces the
/// `Identity` that opens the manifest on this machine.
public protocol RecipientBackend {
    var via: Via { get }

    /// Derives (or creates) the owner's recipient for `init`.
    func setUp(_ request: RecipientSetupRequest) throws -> RecipientSetup

    /// The age recipient for a stored public key of this backend.
    func recipient(publicKey: String) throws -> any Recipient

    /// The identity for a recorded recipient. Backends that need a passphrase, PIN or touch
    /// return a lazy identity that asks only when a stanza of its kind is actually tried.
    func identity(for record: RecipientLocation, interaction: Interaction) throws -> any Identity
}

/// What `init` found or made.
public struct RecipientSetup: Equatable {
    public var pubkey: String
    /// Where the matching identity lives on this machine (a file or a YubiKey slot).
    public var location: RecipientLocation
    public var yubikey: YubiKeySlot?
    /// True when init created a new identity file.
    public var createdIdentity: Bool

    public init(pubkey: String, location: RecipientLocation, yubikey: YubiKeySlot? = nil, createdIdentity: Bool = false) {
        self.pubkey = pubkey
        self.location = location
        self.yubikey = yubikey
        self.createdIdentity = createdIdentity
    }
}

/// What a prompt asks for, typed, so whoever answers (the terminal, `--pin-file`, a test) routes
/// on the kind and never on the prompt's words. Each case carries the line a person is shown.
public enum SecretRequest: Hashable, Sendable {
    /// A card's or a TPM's PIN (to verify, or to choose for a new TPM key).
    case pin(prompt: String)
    /// A card's PUK.
    case puk(prompt: String)
    /// The passphrase of a key file (ssh) or of a passphrase-encrypted age file.
    case passphrase(prompt: String)
    /// A value to store (os.secure, os.direct).
    case value(prompt: String)

    /// The line shown to a person.
    public var prompt: String {
        switch self {
        case .pin(let p), .puk(let p), .passphrase(let p), .value(let p): return p
        }
    }

    /// A card or TPM PIN: what `--pin-stdin` and `--pin-file` answer.
    public var isPIN: Bool { if case .pin = self { return true } else { return false } }
}

/// What keyrack tells the person to act on now, typed as SecretRequest is, so the terminal says
/// who asks on a touch without reading the words of a message.
public enum Notice: Hashable, Sendable {
    /// A card waits for a touch.
    case touch(serial: UInt32)

    /// The line shown to a person.
    public var text: String {
        switch self {
        case .touch(let serial): return "touch your YubiKey (serial \(serial))"
        }
    }
}

/// The ways keyrack may talk to the person (or robot) at the keyboard. The core never touches
/// the terminal itself; the CLI supplies these.
public struct Interaction {
    /// Asks for a secret (ssh key passphrase, PIN) without echo.
    public var secret: (SecretRequest) throws -> [UInt8]
    /// Tells the user something they must act on now (touch the card).
    public var notice: (Notice) -> Void

    public init(secret: @escaping (SecretRequest) throws -> [UInt8], notice: @escaping (Notice) -> Void) {
        self.secret = secret
        self.notice = notice
    }

    /// For robots and tests: any prompt is an error naming what was needed.
    public static let nonInteractive = Interaction(
        secret: { request in throw KeyrackError.usage("\(request.prompt.trimmingCharacters(in: .whitespaces)) needed, but no terminal is available") },
        notice: { _ in })
}

/// The backend for a `via`.
public enum RecipientBackends {
    public static func backend(for via: Via) -> any RecipientBackend {
        switch via {
        case .ssh: return SSHBackend()
        case .age: return AgeBackend()
        case .yubikey: return YubiKeyBackend()
        case .tpm: return TPMBackend()
        }
    }

    /// The age recipient for any stored public key, dispatched on its encoding.
    public static func recipient(publicKey: String) throws -> any Recipient {
        guard let via = RecipientString.kind(of: publicKey)?.via else {
            throw KeyrackError.usage("unsupported public key '\(publicKey.prefix(24))…': use age1…, age1pq1…, age1yubikey1…, age1tag1… or an ssh-ed25519 / ssh-rsa key")
        }
        return try backend(for: via).recipient(publicKey: publicKey)
    }

    /// Whether a public key is post-quantum (age refuses to mix the two kinds in one file).
    public static func isPostQuantum(_ publicKey: String) -> Bool { RecipientString.kind(of: publicKey) == .mlkem768x25519 }
}

/// Reads a key file named by the user, turning "absent" and "unreadable" into usage errors that
/// name the path and what to do.
/// A private key (`secret`) is refused when it is not the caller's or others may read it
/// (`PrivateFile`), as a `--pin-file` is: a key others can read is no longer only the owner's.
func readKeyFile(_ path: String, what: String, secret: Bool = false) throws -> [UInt8] {
    let url = URL(fileURLWithPath: path)
    do {
        guard let bytes = try FileSystem.read(url) else {
            throw KeyrackError.usage("\(what) \(path) does not exist: pass the path of an existing file")
        }
        guard bytes.count <= 1 << 20 else { throw KeyrackError.usage("\(what) \(path) is larger than 1 MiB: that is not a key file") }
        if secret, PrivateFile.holdsSecretKey(bytes), let problem = PrivateFile.problem(path: path, what: what) {
            wipeStorage(bytes)
            throw KeyrackError.usage(problem)
        }
        return bytes
    } catch let error as KeyrackError where error.kind == .failure {
        throw KeyrackError.usage("cannot read \(what) \(path): \(error.message.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unreadable")")
    }
}

/// Expands a leading `~/` against the user's home.
func expandTilde(_ path: String, userHome: URL) -> String {
    if path == "~" { return userHome.path }
    if path.hasPrefix("~/") { return userHome.appendingPathComponent(String(path.dropFirst(2))).path }
    return path
}
