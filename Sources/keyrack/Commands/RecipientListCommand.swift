import ArgumentParser
import KeyrackApp
import KeyrackCore
import KeyrackPresentation

/// `keyrack recipient list`: the primary and backup recipients of an owner's manifest.
struct RecipientListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the recipients an owner's manifest is encrypted to.",
        aliases: ["get"])

    @OptionGroup var options: ManifestOptions

    func run() throws {
        let (owner, manifest) = try options.manifest()
        options.answer(RecipientListJSON(owner: owner.value, manifest: manifest)) {
            print(RecipientChange.table(manifest))
        }
    }
}
