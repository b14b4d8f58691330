import ArgumentParser
import KeyrackApp
import KeyrackDaemon
import KeyrackClient

/// `keyrack status`: what the owner's daemon holds: slugs, envs, vaults and expiry, never values.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show which keys of an owner are unlocked and until when (never their values)."
    )

    @OptionGroup var options: OwnerOptions

    @OptionGroup var filter: EnvFilterOption

    func run() throws {
        let owner = options.owner
        let r = try OwnerStatus.query(owner: owner, env: filter.env)
        options.answer(StatusJSON(owner: owner, socket: DaemonClient(owner: owner).socketPath, r)) {
            if let orphan = r.orphanedPID {
                return Output.line("owner '\(owner)': locked; its daemon (pid \(orphan)) runs but lost its socket, so it serves no one: stop it with `keyrack daemon stop\(Fix.ownerFlag(owner))`")
            }
            guard let status = r.daemon else {
                return Output.line("owner '\(owner)': locked (no daemon running); unlock with `keyrack unlock\(Fix.ownerFlag(owner)) --env ENV`")
            }
            Output.line("owner '\(owner)': daemon pid \(status.pid), \(r.grants.count) key(s) unlocked")
            if let agent = r.agent {
                Output.line("  identity agent: \(agent.labels.count) identit\(agent.labels.count == 1 ? "y" : "ies"), expires in \(TextFormat.remaining(milliseconds: agent.remainingMilliseconds)) (\(TextFormat.isoTime(milliseconds: agent.expiresAtWallMilliseconds))), \(agent.unwrapped) file key(s) unwrapped")
                for label in agent.labels { Output.line("    \(label)") }
            } else {
                Output.line("  identity agent: locked (start it with `keyrack unlock\(Fix.ownerFlag(owner)) --identity-agent`)")
            }
            for p in r.proxies {
                let served = p.keys.map { "\($0.name) → \($0.sendTo.isEmpty ? "nowhere" : $0.sendTo.joined(separator: ","))" }.joined(separator: "; ")
                Output.line("  keycard proxy pid \(p.pid) on 127.0.0.1:\(p.port): \(served); \(p.substitutions) substitution(s)")
            }
            for g in r.grants {
                Output.line("  \(g.slug)  env \(g.slug.env)  from \(g.vault)  expires in \(TextFormat.remaining(milliseconds: g.remainingMilliseconds)) (\(TextFormat.isoTime(milliseconds: g.expiresAtWallMilliseconds)))")
            }
        }
    }
}
