import KeyrackCore
import KeyrackDaemon
#if canImport(Glibc)
import Glibc
#endif

/// `keyrack sandbox require|release`: records in the owner's encrypted manifest whether its
/// values go only to its sandboxes, and tells a running daemon at once when it becomes required.
/// (A daemon never drops the requirement while it runs: release takes effect at its next start,
/// so a robot cannot race a release to read values unsandboxed from the old daemon.)
public enum SandboxRequirement {
    public struct Outcome: Equatable, Sendable {
        public var owner: String
        public var required: Bool
        /// The manifest already said so: nothing was written.
        public var unchanged: Bool
        /// A running daemon was told (require) or still requires it until it stops (release).
        public var daemonRunning: Bool
    }

    public static func set(_ required: Bool, owner: OwnerName, store: HostManifestStore, identities: ManifestIdentities) throws -> Outcome {
        let unchanged: Bool = try store.update(owner: owner, identities: identities) { manifest, _ in
            defer { manifest.owner.sandboxed = required }
            return manifest.owner.sandboxed == required
        }
        let client = DaemonClient(owner: owner.value)
        var running = false
        if required {
            if case .sandboxAccepted? = try? client.send(.requireSandbox) { running = true }
        } else {
            running = client.isRunning()
        }
        return Outcome(owner: owner.value, required: required, unchanged: unchanged, daemonRunning: running)
    }

    /// What `unlock` does before it hands the daemon any value: a sandboxed owner's daemon is
    /// told first, so no value is ever served unsandboxed, not even between two requests.
    public static func enforce(on client: DaemonClient, manifest: HostManifest) throws {
        try enforce(on: client, required: manifest.owner.sandboxed)
    }

    /// The same from the recipients file's copy, for `set --vault os.daemon` (no decryption).
    public static func enforce(on client: DaemonClient, required: Bool) throws {
        try enforce(required: required) { try client.send($0, peerUIDs: [getuid()]) }
    }

    /// The same through any way of sending the daemon a request (the unlock use case's port).
    public static func enforce(required: Bool, send: (Request) throws -> Response) throws {
        guard required else { return }
        guard case .sandboxAccepted = try send(.requireSandbox) else {
            throw DaemonError.malformed("the daemon answered REQUIRE_SANDBOX with something else")
        }
    }
}
