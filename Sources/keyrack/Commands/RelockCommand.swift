import ArgumentParser
import KeyrackApp
import KeyrackDaemon

/// `keyrack relock`: drops grants from the owner's daemon now, wiping their memory. With no
/// daemon there is nothing unlocked, which is success, not an error.
struct RelockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relock",
        abstract: "Lock an owner's keys again before their time runs out.",
        discussion: "Without --env or --key, every key of the owner is relocked."
    )

    @OptionGroup var options: OwnerOptions

    @Option(help: ArgumentHelp("Relock only the keys of this env.", valueName: "env"))
    var env: String?

    @Option(help: ArgumentHelp("Relock only this key: a bare name or a full slug.", valueName: "key"))
    var key: String?

    func validate() throws {
        if let env, !NameRules.isValidEnv(env) { throw ValidationError("invalid --env '\(env.prefix(40))'") }
    }

    func run() throws {
        let client = DaemonClient(owner: options.owner)
        var slugs: [Slug] = []
        // A relock of everything also forgets the identity agent: say so when it held something.
        var agentHeld = false
        if env == nil && key == nil, case .agentStatus(let a)? = try? client.send(.agentStatus) { agentHeld = a != nil }
        do {
            guard case .relocked(let list) = try client.send(.relock(env: env, key: key)) else {
                throw DaemonError.malformed("the daemon answered RELOCK with something else")
            }
            slugs = list
        } catch DaemonError.noDaemon {
            slugs = []
        } catch DaemonError.orphaned(_, let pid) {
            // Unreachable, so it cannot relock a part: stopping it wipes every grant it holds.
            // Returns once it has wiped and exited, with what it held (its exit report).
            let report = try OrphanedDaemon.stop(client.runtime, owner: options.owner, pid: pid)
            Terminal.printError("the daemon of '\(options.owner)' (pid \(pid)) had lost its socket: stopped it, which relocked every key it held")
            slugs = report.relocked
            agentHeld = report.identityAgent
        }
        if options.json {
            JSONLine.print(RelockJSON(owner: options.owner, relocked: slugs.map(\.description), identityAgent: agentHeld))
        } else if slugs.isEmpty && !agentHeld {
            Output.line("nothing to relock for '\(options.owner)'")
        } else {
            for s in slugs { Output.line("relocked \(s)") }
            if agentHeld { Output.line("relocked the identity agent of '\(options.owner)'") }
        }
    }
}
