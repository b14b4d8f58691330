import Foundation

/// The keyrack directory of this user (docs/formats.md) and the path of every file in it.
///
/// `$KEYRACK_HOME`, else `$HOME/.rhachet/keyrack`, read from the environment at call time (tests
/// and robots isolate by setting them). The directory is created 0700 and refused when it is
/// someone else's or readable by others: every manifest in it would be exposed to them.
public struct KeyrackHome: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root }

    /// The home the environment names.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> KeyrackHome {
        if let dir = env["KEYRACK_HOME"], !dir.isEmpty { return KeyrackHome(root: URL(fileURLWithPath: dir)) }
        guard let home = env["HOME"], !home.isEmpty else {
            throw KeyrackError.usage("HOME is not set: set HOME or KEYRACK_HOME")
        }
        return KeyrackHome(root: URL(fileURLWithPath: home).appendingPathComponent(".rhachet/keyrack"))
    }

    public func manifest(_ owner: OwnerName) -> URL { root.appendingPathComponent("host.\(owner.value).yml.age") }
    /// Public, non-secret companion of the manifest: its recipients and where their identities
    /// live on this machine, so unlock knows what to try and errors can name the key needed
    /// without decrypting anything.
    public func recipientsFile(_ owner: OwnerName) -> URL { root.appendingPathComponent("host.\(owner.value).recipients.yml") }
    public func direct(_ owner: OwnerName) -> URL { root.appendingPathComponent("direct/\(owner.value).yml") }
    public func lock(_ owner: OwnerName) -> URL { root.appendingPathComponent("locks/\(owner.value).lock") }
    public func ageIdentity(_ owner: OwnerName) -> URL { root.appendingPathComponent("identities/\(owner.value).txt") }

    /// Creates `root` and `sub` (0700), refusing a root owned by another user or open to others.
    @discardableResult
    public func ensureDirectory(_ sub: String? = nil) throws -> URL {
        try FileSystem.makePrivateDirectory(root)
        guard let sub else { return root }
        let dir = root.appendingPathComponent(sub)
        try FileSystem.makePrivateDirectory(dir)
        return dir
    }
}
