import Foundation
import KeyrackCore
import KeyrackDaemon
import KeyrackClient

/// The identity agent's one refusal: the owner's own manifest. Its stanzas are recorded when the
/// agent is unlocked and read again before each request (a `set` since then wrote a new header),
/// so the manifest on disk, and any copy of a version the agent has seen, is answered with one
/// line instead of a file key. The manifest's keys are for `unlock` and `get`, with their caps:
/// the line's remedy says so, worded by the program that serves the agent (the CLI names its
/// commands), in plain words by default.
public final class OwnManifestRefusal: AgentRefusals {
    private let owner: OwnerName
    private let home: KeyrackHome?
    private let remedy: String
    private let lock = NSLock()
    private var known: Set<[UInt8]> = []

    public static let plainRemedy = "read its keys by unlocking the owner and getting them"

    public init(owner: OwnerName, home: KeyrackHome?, remedy: String = OwnManifestRefusal.plainRemedy) {
        self.owner = owner
        self.home = home
        self.remedy = remedy
    }

    /// What is refused, in words that name no command.
    public static func problem(_ owner: OwnerName) -> String {
        "this is the manifest of '\(owner.value)' (keyrack wrote its header): the identity agent does not open it"
    }

    public func record() {
        guard let home else { return }
        let now = ManifestStanzas.current(owner, home: home)
        lock.lock(); defer { lock.unlock() }
        known.formUnion(now)
    }

    public func refusal(of file: [AgentStanza]) -> (stanza: Int, reason: String)? {
        record()
        lock.lock(); defer { lock.unlock() }
        guard let i = file.firstIndex(where: { known.contains(ManifestStanzas.fingerprint(type: $0.type, arguments: $0.arguments, body: $0.body)) }) else {
            return nil
        }
        return (i, "\(Self.problem(owner)); \(remedy)")
    }
}
