import KeyrackDaemon
import KeyrackNames

/// `keyrack relock`: drops grants from the owner's daemon now, wiping their memory. With no
/// daemon there is nothing unlocked, which is success, not an error. A daemon that lost its
/// socket cannot relock a part: it is stopped, which wipes every grant it holds.
public enum Relock {
    public struct Result: Equatable {
        public var relocked: [Slug]
        /// The identity agent held identities and was relocked too (a relock of everything).
        public var identityAgent: Bool
        /// The pid of an unreachable daemon that was stopped instead.
        public var stoppedOrphan: Int32?
    }

    public static func run(owner: String, env: String?, key: String?, daemon: any OwnerDaemonPort = LiveDaemonPort()) throws -> Result {
        // A relock of everything also forgets the identity agent: say so when it held something.
        var agentHeld = false
        if env == nil && key == nil, case .agentStatus(let a)? = try? daemon.send(owner: owner, .agentStatus) { agentHeld = a != nil }
        do {
            guard case .relocked(let list) = try daemon.send(owner: owner, .relock(env: env, key: key)) else {
                throw DaemonError.malformed("the daemon answered RELOCK with something else")
            }
            return Result(relocked: list, identityAgent: agentHeld, stoppedOrphan: nil)
        } catch DaemonError.noDaemon {
            return Result(relocked: [], identityAgent: agentHeld, stoppedOrphan: nil)
        } catch DaemonError.orphaned(_, let pid) {
            let report = try daemon.stopOrphan(owner: owner, pid: pid)
            return Result(relocked: report.relocked, identityAgent: report.identityAgent, stoppedOrphan: pid)
        }
    }
}
