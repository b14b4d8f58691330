import KeyrackApp
import KeyrackClient

/// `identity`'s text: the plugin identity under comment lines that say what it is and list the
/// recipients; with `--recipient`, the recipients alone.
extension OwnerAgeIdentity {
    public var lines: [String] {
        let owner = self.owner.value
        return ["# keyrack identity of owner '\(owner)': holds no secret; decrypts through age-plugin-keyrack",
                "# while `keyrack unlock\(Fix.ownerFlag(owner)) --identity-agent` holds the owner's identities."]
            + recipients.map { "#    Recipient: \($0.pubkey) (\($0.label))" }
            + [identity]
    }

    public var recipientLines: [String] { recipients.map(\.pubkey) }
}
