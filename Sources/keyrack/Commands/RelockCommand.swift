import ArgumentParser
import KeyrackApp
import KeyrackClient

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
        if let pid = result.stoppedOrphan {
            Terminal.printError("the daemon of '\(options.owner)' (pid \(pid)) had lost its socket: stopped it, which relocked every key it held")
        }
        options.answer(RelockJSON(owner: options.owner, relocked: result.relocked.map(\.description), identityAgent: result.identityAgent)) {
            if result.relocked.isEmpty && !result.identityAgent { return Output.line("nothing to relock for '\(options.owner)'") }
            for s in result.relocked { Output.line("relocked \(s)") }
            if result.identityAgent { Output.line("relocked the identity agent of '\(options.owner)'") }
        }
    }
}
