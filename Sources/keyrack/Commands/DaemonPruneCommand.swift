import ArgumentParser
import Foundation
import KeyrackApp
import KeyrackClient
import KeyrackDaemon
import KeyrackNames

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
        let owners = all ? DaemonStop.runningOwners() : [options.owner]
        var pruned: [String] = []
        var lines: [String] = []
        for owner in owners {
            let (effect, text) = DaemonStopCommand.describe(try DaemonStop.stop(owner: owner), owner: owner)
            if effect == "stopped" { pruned.append(owner) }
            lines.append(text)
        }
        if options.json {
            JSONLine.print(PruneJSON(pruned: pruned))
        } else if all && owners.isEmpty {
            print("no daemon is running for any owner")
        } else {
            for line in lines { print(line) }
        }
    }
}
