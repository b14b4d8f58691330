import ArgumentParser
import Foundation
import KeyrackApp
import KeyrackDaemon

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
        let owners = all ? DaemonPruneCommand.runningOwners() : [options.owner]
        var pruned: [String] = []
        var lines: [String] = []
        for owner in owners {
            let (effect, text) = try DaemonStopCommand.stop(owner: owner)
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

    /// Owners with a socket or pid file in this user's runtime directory, sorted.
    static func runningOwners() -> [String] {
        let dir = RuntimeDirectory.current().path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        let owners = names.compactMap { name -> String? in
            guard name.hasPrefix("daemon.") else { return nil }
            for suffix in [".sock", ".pid"] where name.hasSuffix(suffix) && !name.hasSuffix(".start.lock") {
                let owner = String(name.dropFirst("daemon.".count).dropLast(suffix.count))
                return NameRules.isValidOwner(owner) ? owner : nil
            }
            return nil
        }
        return Array(Set(owners)).sorted()
    }
}
