import AgePlugin
import KeyrackCore

/// `keyrack identity`: the age identity that decrypts through the owner's identity agent (it
/// names the owner and holds no secret), and the recipients to encrypt to, primary first.
public struct OwnerAgeIdentity: Equatable {
    public var owner: OwnerName
    /// `AGE-PLUGIN-KEYRACK-1…`.
    public var identity: String
    public var recipients: [RecipientLocation]

    /// Read from the owner's recipients file (no manifest is opened, nothing is asked): the
    /// store's one "not initialised" refusal, or its damaged-recipients one (initialisedRecipients).
    public init(owner: OwnerName, store: HostManifestStore) throws {
        (self.owner, recipients) = (owner, try store.initialisedRecipients(owner))
        identity = KeyrackPluginIdentity(owner: owner.value).string
    }
}
