import ArgumentParser
import KeyrackApp
import KeyrackClient
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
        if options.json {
            JSONLine.print(RecipientListJSON(owner: owner.value, manifest: manifest))
            return
        }
        let rows = [["LABEL", "VIA", "PUBKEY"]] + manifest.allPublicKeys.map { [$0.label, $0.via.rawValue, HostManifestStore.shorten($0.pubkey)] }
        print(ManifestCLI.table(rows))
    }
}
