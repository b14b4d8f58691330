import AgeYubiKey
import Foundation
import PIV

/// What `init` asks of a backend: one case per `via`, each carrying only its own options, typed,
/// so no backend parses another's flags or a slot back out of a string.
public enum RecipientSpec {
    /// An OpenSSH public key: a `.pub` file, the private key beside it, or the key itself
    /// (`ssh-ed25519 AAAA…`); nil for the user's default key (DefaultSSHKey).
    case ssh(publicKey: String?)
    case age(AgeRecipientSpec)
    case yubikey(YubiKeyRecipientSpec)
    case tpm(TPMRecipientSpec)

    public var via: Via {
        switch self {
        case .ssh: return .ssh
        case .age: return .age
        case .yubikey: return .yubikey
        case .tpm: return .tpm
        }
    }
}

/// `via: tpm`: a P-256 key made in this machine's TPM 2.0 (docs/tpm.md).
public struct TPMRecipientSpec {
    /// `once`: the key gets a PIN (its authValue), asked at unlock; `never`: none. nil: the
    /// owner's default, `once` for the human and `never` for robots (as YubiKey slots).
    public var pinPolicy: TPMPINPolicy?

    public init(pinPolicy: TPMPINPolicy? = nil) { self.pinPolicy = pinPolicy }

    public func pinPolicy(for owner: OwnerName) -> TPMPINPolicy { pinPolicy ?? (owner == .human ? .once : .never) }
}

/// A TPM key has a PIN or not; the TPM has no "always" (every use presents the authValue) —
/// `once` means the PIN is asked once per unlock, and once per TTL through the identity agent.
public enum TPMPINPolicy: String, CaseIterable, Sendable {
    case never, once
}

/// `via: age`: where the owner's age identity comes from.
public struct AgeRecipientSpec {
    public enum Source {
        /// A new identity in KEYRACK_HOME/identities/OWNER.txt (reused if one is already there).
        case newIdentity
        /// An existing identity file.
        case identityFile(String)
        /// A recipient only (`age1…`, or a file holding one): the identity lives elsewhere, a CI
        /// secret given at unlock.
        case recipient(String)
    }

    public var source: Source
    /// mlkem768x25519 (`age1pq1…`) rather than X25519; age never mixes the two in a file.
    public var postQuantum: Bool

    public init(_ source: Source = .newIdentity, postQuantum: Bool = false) {
        self.source = source
        self.postQuantum = postQuantum
    }
}

/// `via: yubikey`: which card and slot, and the policies and form of a key made there.
public struct YubiKeyRecipientSpec {
    /// Required when several cards are plugged in.
    public var serial: UInt32?
    /// A retired slot (82–95); nil for the first free one.
    public var slot: PIVSlot?
    /// nil: the owner's default (`policies(for:)`).
    public var pinPolicy: PINPolicy?
    public var touchPolicy: TouchPolicy?
    public var recipientType: YubiKeyRecipientType
    public var algorithm: YubiKeyKeyAlgorithm

    public init(serial: UInt32? = nil, slot: PIVSlot? = nil, pinPolicy: PINPolicy? = nil, touchPolicy: TouchPolicy? = nil,
                recipientType: YubiKeyRecipientType = .default, algorithm: YubiKeyKeyAlgorithm = .p256) {
        self.serial = serial
        self.slot = slot
        self.pinPolicy = pinPolicy
        self.touchPolicy = touchPolicy
        self.recipientType = recipientType
        self.algorithm = algorithm
    }

    /// The policies of a key made for `owner`: robots unlock unattended (the key still never
    /// leaves the card); humans type the PIN once and touch per unlock (cached for 15 s).
    public func policies(for owner: OwnerName) -> (pin: PINPolicy, touch: TouchPolicy) {
        let defaults: (PINPolicy, TouchPolicy) = owner == .human ? (.once, .cached) : (.never, .never)
        return (pinPolicy ?? defaults.0, touchPolicy ?? defaults.1)
    }
}

/// The key made in a YubiKey slot: P-256 (`age1yubikey1…`, any YubiKey 4/5) or X25519
/// (firmware 5.7+, a plain `age1…` recipient decrypted on the card).
public enum YubiKeyKeyAlgorithm: String, CaseIterable, Sendable {
    case p256, x25519
}

/// What the CLI passes to `init`.
public struct RecipientSetupRequest {
    public var owner: OwnerName
    public var home: KeyrackHome
    /// The user's home directory (for `~` and the default `~/.ssh/id_ed25519.pub`).
    public var userHome: URL
    public var spec: RecipientSpec
    public var interaction: Interaction

    public init(owner: OwnerName, home: KeyrackHome, userHome: URL, spec: RecipientSpec, interaction: Interaction = .nonInteractive) {
        self.owner = owner
        self.home = home
        self.userHome = userHome
        self.spec = spec
        self.interaction = interaction
    }

    /// A public key given as the key itself (`ssh-ed25519 AAAA…`, `ssh-rsa …`, `age1…`) rather
    /// than a file: a CI job passes the robot's public key from a variable. A file of that name
    /// wins; ecdsa-/sk- keys are taken too, so they are refused by type, not as a missing file.
    func literalPublicKey(_ given: String) -> String? {
        let value = given.trimmingCharacters(in: .whitespacesAndNewlines)
        guard ["ssh-", "ecdsa-", "sk-", "age1"].contains(where: value.hasPrefix), !value.contains("\n"),
              !FileSystem.exists(URL(fileURLWithPath: expandTilde(value, userHome: userHome))) else { return nil }
        return value
    }
}
