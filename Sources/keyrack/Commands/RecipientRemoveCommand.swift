import ArgumentParser
import KeyrackApp
import KeyrackCore
import KeyrackPresentation

/// `keyrack recipient remove`: drops one recipient and re-encrypts the manifest to the rest.
/// The last way in is never removed.
struct RecipientRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove a recipient from an owner's manifest (never the last one).",
        aliases: ["del"])

    @OptionGroup var options: ManifestOptions

    @Option(help: ArgumentHelp("The label of the recipient to remove (`primary` for the owner's own key).", valueName: "label"))
    var label: String

    func run() throws {
        let (owner, store, identities) = try options.access()
        let promoted = try RecipientChange.remove(owner: owner, label: label, store: store, identities: identities, effects: LiveManifestEffects())
        options.answer(RecipientRemoveJSON(owner: owner.value, removed: label, promoted: promoted)) {
            RecipientChange.removedLines(label, promoted: promoted, owner: owner).forEach { print($0) }
        }
    }
}
