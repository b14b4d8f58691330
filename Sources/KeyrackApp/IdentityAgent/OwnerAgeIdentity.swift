import AgePlugin
import KeyrackCore

/// `keyrack identity`: the age identity that decrypts through the owner's identity agent (it
/// names the owner and holds no secret), and the recipients to encrypt to, primary first.
public struct OwnerAgeIdentity: Equatable {
    public var owner: OwnerName
    /// `AGE-PLUGIN-KEYRACK-1…`.
    public var identity: String
    public var recipients: [RecipientLocation]

    /// Read from the owner's recipients file (no manifest is opened, nothing is asked); an owner
    /// not initialised here gets the store's one refusal.
    public init(owner: OwnerName, store: HostManifestStore) throws {
        guard let recipients = try store.recipientsFile(owner)?.recipients, !recipients.isEmpty else {
            try store.requireInitialised(owner)
            throw KeyrackError(.damaged, problem: "owner \(owner.value) has no recipients in \(store.home.recipientsFile(owner).path)",
                               remedy: .restoreRecipients(owner: owner.value))
        }
        (self.owner, self.recipients) = (owner, recipients)
        identity = KeyrackPluginIdentity(owner: owner.value).string
    }
}
