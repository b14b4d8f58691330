import KeyrackClient
import KeyrackCore
import PIV

/// `keyrack audit anchor --slot 9a`: records in the owner's encrypted manifest which YubiKey
/// slot signs the access log at each unlock, and its public key, which `audit verify --manifest`
/// then requires of every card checkpoint. The slot holds a P-256 key already
/// (`keyrack yubikey setup --slot 9a`); its PIN and touch policies apply to each signature.
public enum AuditCardAnchor {
    public static func run(owner: OwnerName, slot: PIVSlot, serial: UInt32?, store: HostManifestStore,
                           identities: () throws -> ManifestIdentities) throws -> AuditCardKey {
        // The card is read and closed before the manifest is opened (which may need it too).
        let key: AuditCardKey = try {
            let piv = try PIVCards.open(serial: serial)
            defer { piv.close() }
            let info = try piv.p256Key(slot)
            guard let point = info.publicKey, point.count == 65 else {
                throw AuditStepError("YubiKey \(piv.serial) slot \(slot) holds no P-256 key", then: .makeCardKey(slot: "\(slot)"))
            }
            return AuditCardKey(slot: "\(slot)", serial: piv.serial, publicKey: point)
        }()
        try store.update(owner: owner, identities: try identities()) { manifest, _ in manifest.auditCard = key }
        return key
    }
}
