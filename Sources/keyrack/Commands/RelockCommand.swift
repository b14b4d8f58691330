import ArgumentParser
import KeyrackApp
import KeyrackClient
import KeyrackPresentation

/// `keyrack relock`: drops grants from the owner's daemon now, wiping their memory. With no
/// daemon there is nothing unlocked, which is success, not an error.
struct RelockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relock",
        abstract: "Lock an owner's keys again before their time runs out.",
        discussion: "Without --env or --key, every key of the owner is relocked."
    )

    @OptionGroup var options: OwnerOptions

    @OptionGroup var filter: EnvFilterOption

    @Option(help: ArgumentHelp("Relock only this key: a bare name or a full slug.", valueName: "key"))
    var key: String?

    func run() throws {
        let result = try Relock.run(owner: options.owner, env: filter.env, key: key)
        if let note = result.orphanNote(owner: options.owner) { Terminal.printError(note) }
        options.answer(RelockJSON(owner: options.owner, relocked: result.relocked.map(\.description), identityAgent: result.identityAgent)) {
            result.lines(owner: options.owner).forEach(Output.line)
        }
    }
}
