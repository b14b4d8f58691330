import KeyrackApp
import KeyrackCore

/// `recipient add|remove|list`: who can open the owner's manifest now.
extension RecipientChange {
    public static func addedLine(_ added: BackupRecipient, owner: OwnerName) -> String {
        "keyrack recipient add: \(added.label) (\(HostManifestStore.shorten(added.pubkey)), via \(added.via.rawValue)) can now open owner \(owner)'s manifest"
    }

    /// `promoted`: the backup that became the primary recipient, when the primary was removed.
    public static func removedLines(_ label: String, promoted: String?, owner: OwnerName) -> [String] {
        ["keyrack recipient remove: \(label) can no longer open owner \(owner)'s manifest"]
            + (promoted.map { ["  \($0) is now the primary recipient (label: primary)"] } ?? [])
    }

    public static func table(_ manifest: HostManifest) -> String {
        TextTable.render([["LABEL", "VIA", "PUBKEY"]] + manifest.allPublicKeys.map { [$0.label, $0.via.rawValue, HostManifestStore.shorten($0.pubkey)] })
    }
}
