import ArgumentParser
import KeyrackCore

/// `keyrack recipient list`: the primary and backup recipients of an owner's manifest.
struct RecipientListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the recipients an owner's manifest is encrypted to.",
        aliases: ["get"])

    @OptionGroup var options: OwnerOptions
    @OptionGroup var identity: IdentityOptions

    func run() throws {
        let owner = try options.ownerName()
        let store = try HostManifestStore.fromEnvironment()
        let manifest = try store.load(owner: owner, identities: try identity.identities(owner, store: store))
        let addedAt = Dictionary(uniqueKeysWithValues: manifest.recipients.map { ($0.label.value, $0.addedAt) })
        if options.json {
            try ManifestCLI.printJSON(["owner": owner.value, "recipients": manifest.allPublicKeys.map { r -> [String: Any] in
                var o: [String: Any] = ["label": r.label, "via": r.via.rawValue, "pubkey": r.pubkey, "primary": r.label == RecipientLabel.primary]
                if let at = addedAt[r.label] { o["addedAt"] = at }
                return o
            }])
            return
        }
        let rows = [["LABEL", "VIA", "PUBKEY"]] + manifest.allPublicKeys.map { [$0.label, $0.via.rawValue, HostManifestStore.shorten($0.pubkey)] }
        print(ManifestCLI.table(rows))
    }
}
