import Foundation
import KeyrackCore
import KeyrackDaemon
#if canImport(Glibc)
import Glibc
import KeyrackNames
#endif

/// Where the card's PIN comes from at an unlock: asked on the terminal when a card wants it, or
/// given beforehand by a robot (PIN policy `once`, no terminal), for every PIN the unlock needs:
/// the manifest's card, an OpenBao cert login, a card-signed JWT.
public enum PINInput: Equatable, Sendable {
    case terminal
    /// The first line of stdin (`--pin-stdin`).
    case stdin
    /// The first line of a private file (`--pin-file`).
    case file(String)
}

/// `keyrack unlock`, parsed: what to unlock, for how long, with what.
public struct UnlockRequest {
    public var owner: OwnerName
    /// The env whose keys are unlocked; nil starts the identity agent only.
    public var env: String?
    /// One key, a bare name or a full slug (required for sudo).
    public var key: String?
    /// `--duration` in seconds; nil takes UnlockPlan's default (and the agent's own).
    public var durationSeconds: Int?
    /// Open the manifest with a backup recipient of this kind only.
    public var using: Via?
    public var identityPaths: [String]
    public var pin: PINInput
    /// Also hand the owner's identities to its daemon's identity agent.
    public var identityAgent: Bool
    /// Where a repository's `.agent/keyrack.yml` is looked for.
    public var workingDirectory: URL
    /// The caller's uid, checked against the owner's pin.
    public var uid: UInt32

    public init(owner: OwnerName, env: String?, key: String? = nil, durationSeconds: Int? = nil, using: Via? = nil,
                identityPaths: [String] = [], pin: PINInput = .terminal, identityAgent: Bool = false,
                workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath), uid: UInt32 = getuid()) {
        self.owner = owner
        self.env = env
        self.key = key
        self.durationSeconds = durationSeconds
        self.using = using
        self.identityPaths = identityPaths
        self.pin = pin
        self.identityAgent = identityAgent
        self.workingDirectory = workingDirectory
        self.uid = uid
    }
}

/// What an unlock did, for the CLI to render (text or JSON).
public struct UnlockResult {
    public var owner: String
    /// The recipient that opened the manifest (nil when only the identity agent was started).
    public var recipient: String?
    /// The grants as the daemon stored them.
    public var unlocked: [GrantInfo]
    /// Keys that stay locked, and why.
    public var omitted: [(slug: Slug, reason: LockedReason)]
    /// The identity agent, when one was started.
    public var agent: IdentityAgentStart.Result?
}

/// What an unlock says while it runs (on stderr, in the CLI), before its result or its error:
/// a "nothing could be unlocked" error refers to the warnings said before it.
public enum UnlockEvent: Equatable {
    case openedWithBackup(owner: String, recipient: String)
    case capped(Slug, to: UnlockPlan.Cap)
    case stayedLocked(Slug, why: LockedReason)
    case daemonStarted(owner: String, pid: Int32)
    case agentCapped(owner: String, minutes: Int)
    /// The card signed the access log's head, or why it did not (AuditCardCheckpoint).
    case cardCheckpoint(AuditCardCheckpoint.Outcome)
}
