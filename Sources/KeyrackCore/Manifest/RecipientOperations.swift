import AgeFormat
import Foundation

extension HostManifestStore {
    /// Adds a backup recipient to `owner`'s manifest and re-encrypts it to all recipients.
    /// `identityPath` records the file holding the new recipient's identity on this machine, if
    /// it does. Refused: a duplicate label or key, and a post-quantum key beside classic ones (or
    /// the reverse), which age forbids in one file.
    public func addRecipient(owner: OwnerName, label: RecipientLabel, publicKey: String, identityPath: String?,
                             identities: ManifestIdentities) throws -> BackupRecipient {
        guard let via = RecipientString.kind(of: publicKey)?.via else {
            throw KeyrackError.usage("unsupported public key type '\(publicKey.prefix(24))…': use age1…, age1pq1…, age1yubikey1…, age1tag1… or ssh-ed25519 / ssh-rsa")
        }
        _ = try RecipientBackends.backend(for: via).recipient(publicKey: publicKey)
        let location = RecipientLocation(label: label.value, via: via, pubkey: publicKey, identity: identityPath.map(IdentityLocation.file))
        return try update(owner: owner, identities: identities, newLocations: [location]) { manifest, _ in
            guard label.value != RecipientLabel.primary, !manifest.recipients.contains(where: { $0.label == label }) else {
                throw KeyrackError.usage("owner \(owner.value) already has a recipient labelled \(label): choose another label")
            }
            if manifest.allPublicKeys.contains(where: { $0.pubkey == publicKey }) {
                throw KeyrackError.usage("this key is already a recipient of owner \(owner.value)")
            }
            let pq = RecipientBackends.isPostQuantum(publicKey)
            if manifest.allPublicKeys.contains(where: { RecipientBackends.isPostQuantum($0.pubkey) != pq }) {
                throw KeyrackError.usage(pq
                    ? "owner \(owner.value) uses classic keys; a post-quantum age1pq1… recipient cannot share its manifest (age forbids mixing them)"
                    : "owner \(owner.value) uses a post-quantum key; a classic recipient would weaken its manifest (age forbids mixing them): add an age1pq1… key")
            }
            let backup = BackupRecipient(label: label, via: via, pubkey: publicKey, addedAt: HostManifest.timestamp())
            manifest.recipients.append(backup)
            return backup
        }
    }

    /// Removes the recipient labelled `label` (`primary` included: the first backup then becomes
    /// the primary, and is labelled `primary` from then on; its former label is returned).
    /// Refuses to remove the last one: nothing could open the manifest afterwards.
    @discardableResult
    public func removeRecipient(owner: OwnerName, label: String, identities: ManifestIdentities) throws -> String? {
        try update(owner: owner, identities: identities) { manifest, _ -> String? in
            let total = 1 + manifest.recipients.count
            let isPrimary = label == RecipientLabel.primary
            guard isPrimary || manifest.recipients.contains(where: { $0.label.value == label }) else {
                let labels = manifest.allPublicKeys.map(\.label).joined(separator: ", ")
                throw KeyrackError.usage("owner \(owner.value) has no recipient labelled '\(label.prefix(63))': its recipients are \(labels)")
            }
            guard total > 1 else {
                throw KeyrackError(.usage, problem: "refusing to remove the last recipient of owner \(owner.value): nothing could open its manifest afterwards", remedy: .addAnotherRecipient(owner: owner.value))
            }
            if isPrimary {
                let next = manifest.recipients.removeFirst()
                manifest.owner.via = next.via
                manifest.owner.pubkey = next.pubkey
                manifest.owner.yubikey = nil
                return next.label.value
            }
            manifest.recipients.removeAll { $0.label.value == label }
            return nil
        }
    }
}
