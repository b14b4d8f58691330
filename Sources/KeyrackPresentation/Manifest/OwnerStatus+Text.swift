import KeyrackApp
import KeyrackClient

/// `status`'s text answer: whether the owner is locked (and how to unlock it), else its daemon,
/// identity agent, keycard proxies and grants, one line each.
extension OwnerStatus.Result {
    public func lines(owner: String) -> [String] {
        if let orphan = orphanedPID {
            return ["owner '\(owner)': locked; its daemon (pid \(orphan)) runs but lost its socket, so it serves no one: stop it with `keyrack daemon stop\(Fix.ownerFlag(owner))`"]
        }
        guard let status = daemon else {
            return ["owner '\(owner)': locked (no daemon running); unlock with `keyrack unlock\(Fix.ownerFlag(owner)) --env ENV`"]
        }
        var lines = ["owner '\(owner)': daemon pid \(status.pid), \(grants.count) key(s) unlocked"]
        if let agent {
            lines.append("  identity agent: \(agent.labels.count) identit\(agent.labels.count == 1 ? "y" : "ies"), expires in \(TextFormat.remaining(milliseconds: agent.remainingMilliseconds)) (\(TextFormat.isoTime(milliseconds: agent.expiresAtWallMilliseconds))), \(agent.unwrapped) file key(s) unwrapped")
            lines += agent.labels.map { "    \($0)" }
        } else {
            lines.append("  identity agent: locked (start it with `keyrack unlock\(Fix.ownerFlag(owner)) --identity-agent`)")
        }
        for p in proxies {
            let served = p.keys.map { "\($0.name) → \($0.sendTo.isEmpty ? "nowhere" : $0.sendTo.joined(separator: ","))" }.joined(separator: "; ")
            lines.append("  keycard proxy pid \(p.pid) on 127.0.0.1:\(p.port): \(served); \(p.substitutions) substitution(s)")
        }
        lines += grants.map { g in
            "  \(g.slug)  env \(g.slug.env)  from \(g.vault)  expires in \(TextFormat.remaining(milliseconds: g.remainingMilliseconds)) (\(TextFormat.isoTime(milliseconds: g.expiresAtWallMilliseconds)))"
        }
        return lines
    }
}
