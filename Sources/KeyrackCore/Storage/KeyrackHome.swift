import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The keyrack directory of this user (docs/formats.md) and the path of every file in it.
///
/// `$KEYRACK_HOME`, else `$HOME/.rhachet/keyrack`, read from the environment at call time (tests
/// and robots isolate by setting them). The directory is created 0700 and refused when it is
/// someone else's or readable by others: every manifest in it would be exposed to them.
public struct KeyrackHome: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root }

    /// The home the environment names.
    public static func fromEnvironment(_ env: [String: String]) throws -> KeyrackHome { try from { env[$0] } }

    /// The same from this process's environment, read by name: building ProcessInfo's whole
    /// dictionary cost more than the rest of finding the home (issue 32's start-up).
    public static func fromEnvironment() throws -> KeyrackHome { try from { getenv($0).map { String(cString: $0) } } }

    private static func from(_ env: (String) -> String?) throws -> KeyrackHome {
        if let dir = env("KEYRACK_HOME"), !dir.isEmpty { return KeyrackHome(root: URL(fileURLWithPath: dir)) }
        guard let home = env("HOME"), !home.isEmpty else {
            throw KeyrackError.usage("HOME is not set: set HOME or KEYRACK_HOME")
        }
        return KeyrackHome(root: URL(fileURLWithPath: home).appendingPathComponent(".rhachet/keyrack"))
    }

    /// What every reader checks before trusting a file here (`set` and `init` go further and
    /// tighten the mode): an existing root must be a directory (not a symlink) of this user that
    /// no one else can write, or another user could plant the manifest, recipients file or
    /// identity that `unlock` and `list` then believe. An absent root is fine: nothing to read.
    public func checkTrusted() throws {
        var st = stat()
        guard lstat(root.path, &st) == 0 else { return }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw KeyrackError.failure("KEYRACK_HOME \(root.path) is not a directory (a symlink or file is in the way): point KEYRACK_HOME at your own directory")
        }
        guard st.st_uid == getuid() else {
            throw KeyrackError.failure("KEYRACK_HOME \(root.path) belongs to uid \(st.st_uid), not to you (uid \(getuid())): refusing to read keys there; point KEYRACK_HOME at your own directory")
        }
        guard st.st_mode & 0o022 == 0 else {
            throw KeyrackError.failure("KEYRACK_HOME \(root.path) has mode \(String(st.st_mode & 0o777, radix: 8)), writable by others: run `chmod 700 \(root.path)` and check what is in it")
        }
    }

    public func manifest(_ owner: OwnerName) -> URL { root.appendingPathComponent("host.\(owner.value).yml.age") }
    /// Public, non-secret companion of the manifest: its recipients and where their identities
    /// live on this machine, so unlock knows what to try and errors can name the key needed
    /// without decrypting anything.
    public func recipientsFile(_ owner: OwnerName) -> URL { root.appendingPathComponent("host.\(owner.value).recipients.yml") }
    public func direct(_ owner: OwnerName) -> URL { root.appendingPathComponent("direct/\(owner.value).yml") }
    public func lock(_ owner: OwnerName) -> URL { root.appendingPathComponent("locks/\(owner.value).lock") }
    public func ageIdentity(_ owner: OwnerName) -> URL { root.appendingPathComponent("identities/\(owner.value).txt") }
    /// A TPM owner's sealed key (AGE-PLUGIN-TPM-1…): opens on this machine's TPM only.
    public func tpmIdentity(_ owner: OwnerName) -> URL { root.appendingPathComponent("identities/\(owner.value).tpm.txt") }

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
