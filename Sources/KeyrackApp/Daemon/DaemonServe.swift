#if canImport(Glibc)
import Glibc
#endif
import KeyrackClient
import KeyrackCore
import KeyrackDaemon
import KeyrackNames

/// `keyrack daemon run`: one owner's daemon served in the foreground, with its identity agent
/// (refusing the owner's own manifest), grant revokers and renewers, until stopped, signalled or
/// idle with nothing unlocked.
public enum DaemonServe {
    /// `manifestRemedy`: what the agent's refusal of the owner's manifest says to do instead, in
    /// the program's own commands (OwnManifestRefusal).
    public static func run(owner: OwnerName, allowedUID: UInt32 = geteuid(), idleTimeout: String?,
                           manifestRemedy: String = OwnManifestRefusal.plainRemedy) throws {
        // The agent refuses the owner's own manifest: it reads its header from the KEYRACK_HOME
        // the daemon was started with (none: nothing there to refuse, nothing there opens).
        let refusals = OwnManifestRefusal(owner: owner, home: try? KeyrackHome.fromEnvironment(), remedy: manifestRemedy)
        try DaemonProcess.serve(owner: owner.value, allowedUID: allowedUID, idleExitMilliseconds: try idleMilliseconds(idleTimeout),
                                agent: IdentityAgent(factory: AgentIdentities.factory, refusals: refusals), revoker: GrantRevokers.live,
                                renewer: GrantRenewers.live)
    }

    /// How long the daemon waits idle before it exits: `--idle-timeout`, else
    /// KEYRACK_DAEMON_IDLE_SECONDS, else 15 minutes; nil (never) for 0.
    public static func idleMilliseconds(_ given: String?,
                                        environmentSeconds: String? = getenv("KEYRACK_DAEMON_IDLE_SECONDS").map { String(cString: $0) }) throws -> UInt64? {
        guard let text = given ?? environmentSeconds.map({ $0 + "s" }) else { return 15 * 60 * 1000 }
        if text == "0" || text == "0s" { return nil }
        guard let seconds = DurationGrammar.seconds(text) else { throw InvalidIdleTimeout(text: String(text.prefix(40))) }
        return UInt64(seconds) * 1000
    }

    /// An idle timeout that is no duration: a usage error the CLI words with its option (exit 2).
    public struct InvalidIdleTimeout: Error, Equatable, CustomStringConvertible {
        public let text: String
        public init(text: String) { self.text = text }
        public var description: String { "invalid idle timeout '\(text)': \(DurationGrammar.hint) (0 = never)" }
    }
}
