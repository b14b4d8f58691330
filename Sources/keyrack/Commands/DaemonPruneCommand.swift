import ArgumentParser
import KeyrackApp
import KeyrackPresentation

/// `keyrack daemon prune [--for O | --all]`: the TypeScript keyrack's name for stopping daemons.
/// One owner's (`daemon stop`), or with `--all` every daemon of this user found in the runtime
/// directory (by its socket or pid file), each stopped as `daemon stop` stops it.
struct DaemonPruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Stop an owner's daemon, or with --all every daemon of this user (all their keys become locked).")

    @OptionGroup var options: OwnerOptions

    @Flag(help: "Every daemon of this user, whatever its owner.")
    var all = false

    func run() throws {
        let stops = try DaemonStop.prune(all ? DaemonStop.runningOwners() : [options.owner])
        options.answer(PruneJSON(pruned: stops.filter { $0.outcome != .notRunning }.map(\.owner))) {
            if all && stops.isEmpty { return print(DaemonStop.Outcome.noneRunning) }
            for stop in stops { print(stop.outcome.line(owner: stop.owner)) }
        }
    }
}
