import Foundation
import KeyrackCore
import KeyrackDaemon
import PIV

/// `keyrack audit anchor`: which signer signs the owner's log at each unlock (a YubiKey slot or
/// the owner's TPM), then AuditCardAnchor or AuditTPMAnchor records its key in the manifest.
public enum AuditAnchor {
    public enum Signer: Equatable, Sendable {
        case tpm
        case yubikey(slot: PIVSlot)
    }

    public struct Request {
        public var owner: OwnerName
        /// "yubikey", "tpm", or nil for the owner's kind.
        public var via: String?
        /// The PIV slot, nil for 9a.
        public var slot: String?
        /// The YubiKey's serial when several are plugged in.
        public var serial: UInt32?
        /// Identity files that open the manifest (OwnerIdentities' rule otherwise).
        public var identityPaths: [String]

        public init(owner: OwnerName, via: String? = nil, slot: String? = nil, serial: UInt32? = nil, identityPaths: [String] = []) {
            (self.owner, self.via, self.slot, self.serial, self.identityPaths) = (owner, via, slot, serial, identityPaths)
        }
    }

    /// The rule: what was asked for, else the TPM for an owner that has a TPM identity and was
    /// given no slot, else the YubiKey's slot 9a.
    public static func signer(via: String?, slot: String?, ownerHasTPM: Bool) throws -> Signer {
        guard via == nil || via == "tpm" || via == "yubikey" else { throw AuditAnchorError.unknownSigner(via ?? "") }
        if via == "tpm" || (via == nil && slot == nil && ownerHasTPM) {
            guard slot == nil else { throw AuditAnchorError.slotForTPM }
            return .tpm
        }
        let slot = slot ?? "9a"
        guard let piv = PIVSlot(parsing: slot) else { throw AuditAnchorError.invalidSlot(slot) }
        return .yubikey(slot: piv)
    }

    /// Records the signer's public key in the owner's manifest; one terminal answers both the
    /// signer's PIN and the manifest's identities (one PIN read for a TPM owner).
    public static func run(_ request: Request, store: HostManifestStore, terminal: any UserTerminal) throws -> (signer: Signer, json: AuditAnchorJSON) {
        let owner = request.owner
        let signer = try signer(via: request.via, slot: request.slot, ownerHasTPM: FileManager.default.fileExists(atPath: store.home.tpmIdentity(owner).path))
        let identities = { try OwnerIdentities.resolve(owner, store: store, paths: request.identityPaths, only: nil, interaction: terminal.interaction) }
        let key: AuditCardKey
        switch signer {
        case .tpm: key = try AuditTPMAnchor.run(owner: owner, store: store, interaction: terminal.interaction, identities: identities)
        case .yubikey(let slot): key = try AuditCardAnchor.run(owner: owner, slot: slot, serial: request.serial, store: store, identities: identities)
        }
        return (signer, AuditAnchorJSON(owner: owner.value, slot: key.slot, serial: signer == .tpm ? nil : key.serial, cardKey: AuditCrypto.hex(key.publicKey)))
    }
}

/// Why `audit anchor` cannot tell what signs. `problem` and `fix` apart; the CLI names its flags.
public enum AuditAnchorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Neither yubikey nor tpm.
    case unknownSigner(String)
    /// A PIV slot given for the TPM.
    case slotForTPM
    /// Not a PIV slot keyrack signs with.
    case invalidSlot(String)

    public var problem: String {
        switch self {
        case .unknownSigner(let via): return "'\(via.prefix(10))' cannot sign the access log"
        case .slotForTPM: return "a YubiKey slot cannot choose a TPM key"
        case .invalidSlot(let slot): return "'\(slot.prefix(10))' is not a PIV slot"
        }
    }

    public var fix: String {
        switch self {
        case .unknownSigner: return "use yubikey or tpm"
        case .slotForTPM: return "give a slot only for a YubiKey"
        case .invalidSlot: return "use 9a, 9c, 9d, 9e or 82–95"
        }
    }

    public var description: String { "\(problem): \(fix)" }
}
