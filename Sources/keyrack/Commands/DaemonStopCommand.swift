import ArgumentParser
import KeyrackApp
import KeyrackClient
import KeyrackPresentation

/// `keyrack daemon stop`: asks the owner's daemon to wipe its grants and exit, and waits until
/// its socket is gone.
struct DaemonStopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop an owner's daemon (all its keys become locked)."
    )

    @OptionGroup var options: OwnerOptions

    func run() throws {
        let outcome = try DaemonStop.stop(owner: options.owner)
        options.answer(DaemonStopJSON(owner: options.owner, effect: outcome.effect)) { Output.line(outcome.line(owner: options.owner)) }
    }
}
