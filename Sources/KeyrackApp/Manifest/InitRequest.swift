import AgeYubiKey
import Foundation
import KeyrackCore
import KeyrackNames
import PIV

/// What `init` was asked for, as given (nil: not given), and the rules that tie each choice to
/// its backend: a choice of another backend is refused before anything is read or asked.
public struct InitRequest: Equatable {
    /// The choices a backend takes. Problems name them by these; the CLI words each as its option.
    public enum Choice: String, CaseIterable, Sendable {
        case postQuantum, identity, serial, slot, touchPolicy, recipientType, algorithm, pinPolicy, pinFromStdin
    }

    /// How a request is refused: the problem, and the remedy apart (KeyrackPresentation's InitProblem+Text words them).
    public enum Problem: Error, Equatable, Sendable {
        /// `choices` belong to the backends `vias` only.
        case onlyFor([Choice], vias: [Via])
        /// `via age` takes a recipient or an identity file, not both.
        case recipientAndIdentity
        /// A TPM key has a PIN or none; "always" is a card's policy.
        case alwaysOnTPM
        /// The recipient forms are those of a P-256 key; an X25519 key's recipient is a plain age1….
        case recipientTypeOfX25519
        /// Owners' card keys live in the retired slots 82–95.
        case slotNotRetired(PIVSlot)
        /// The user to pin the owner to is not in the password database.
        case unknownUser(String)
        /// The org of the repository file is not an org name.
        case invalidOrg(String)
        /// Bare `init`: no ssh key in `directory` to use (`lookedFor` its names); a card plugged in
        /// (`pluggedYubiKey`) or an age identity are the other homes of the owner's key.
        case noUsableSSHKey(directory: String, lookedFor: [String], pluggedYubiKey: UInt32?)
    }

    public var via: Via?
    public var pubkey: String?
    public var identity: String?
    public var postQuantum = false
    public var serial: UInt32?
    public var slot: PIVSlot?
    public var pinPolicy: PINPolicy?
    public var touchPolicy: TouchPolicy?
    public var recipientType: YubiKeyRecipientType?
    public var algorithm: YubiKeyKeyAlgorithm?
    public var pinFromStdin = false
    /// A user name or a numeric uid (UnixUser).
    public var uid: String?
    public var org: String?
    public var sandboxed = false

    public init() {}

    /// The backend asked for: ssh unless another was named.
    public var backend: Via { via ?? .ssh }

    /// Every rule, in the order a person fixes them; nothing is read.
    public func check() throws {
        if let org, !NameRules.isValidOrg(org) { throw Problem.invalidOrg(org) }
        let via = backend
        if via != .age && (postQuantum || identity != nil) { throw Problem.onlyFor([.postQuantum, .identity], vias: [.age]) }
        if via == .age && pubkey != nil && identity != nil { throw Problem.recipientAndIdentity }
        if via != .yubikey && (serial != nil || slot != nil || touchPolicy != nil || recipientType != nil || algorithm != nil) {
            throw Problem.onlyFor([.serial, .slot, .touchPolicy, .recipientType, .algorithm], vias: [.yubikey])
        }
        if via != .yubikey && via != .tpm && pinPolicy != nil { throw Problem.onlyFor([.pinPolicy], vias: [.yubikey, .tpm]) }
        if via == .tpm && pinPolicy == .always { throw Problem.alwaysOnTPM }
        if algorithm == .x25519 && recipientType != nil { throw Problem.recipientTypeOfX25519 }
        if let slot, !slot.isRetired { throw Problem.slotNotRetired(slot) }
        if pinFromStdin && via != .yubikey && via != .tpm { throw Problem.onlyFor([.pinFromStdin], vias: [.yubikey, .tpm]) }
        _ = try pinnedUID()
    }

    /// The uid the owner is pinned to, looked up now.
    public func pinnedUID() throws -> UInt32? {
        try uid.map { user in
            guard let n = UnixUser.uid(user) else { throw Problem.unknownUser(String(user.prefix(32))) }
            return n
        }
    }

    /// What the backend is asked for; `check()` has refused choices of another backend.
    public var spec: RecipientSpec {
        switch backend {
        case .ssh:
            return .ssh(publicKey: pubkey)
        case .age:
            return .age(AgeRecipientSpec(identity.map { .identityFile($0) } ?? pubkey.map { .recipient($0) } ?? .newIdentity, postQuantum: postQuantum))
        case .yubikey:
            return .yubikey(YubiKeyRecipientSpec(serial: serial, slot: slot, pinPolicy: pinPolicy, touchPolicy: touchPolicy,
                                                 recipientType: recipientType ?? .default, algorithm: algorithm ?? .p256))
        case .tpm:
            return .tpm(TPMRecipientSpec(pinPolicy: pinPolicy.flatMap { TPMPINPolicy(rawValue: $0.description) }))
        }
    }

    /// OwnerInit's input for `owner`, run from `directory`.
    public func input(owner: OwnerName, directory: URL = InvocationPaths.currentDirectory, userHome: URL = InvocationPaths.userHome) throws -> OwnerInit.Input {
        try check()
        return OwnerInit.Input(owner: owner, spec: spec, viaGiven: via != nil, uid: try pinnedUID(), sandboxed: sandboxed,
                               org: try org.map(OrgName.init), directory: directory, userHome: userHome)
    }

    /// Where the card's or the TPM's PIN comes from: the first line of stdin (robots, scripts),
    /// else the terminal.
    public var interaction: Interaction {
        guard pinFromStdin else { return TerminalInteraction.live }
        return Interaction(secret: { _ in PINSource.fromStdin() }, notice: TerminalInteraction.live.notice)
    }
}
