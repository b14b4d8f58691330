import KeyrackCore
import KeyrackDaemon
import KeyrackNames

/// What a manifest change does beyond the file, behind one protocol so the use cases run
/// in-process in tests: the owner's running daemon forgets what it held of a changed key, the
/// access log records the change, an os.daemon value goes to the daemon and nowhere else, and a
/// warning reaches the user (on stderr in the CLI).
public protocol ManifestEffects {
    /// Relocks `slug` (every grant when nil) in the owner's daemon, if one runs.
    func revoke(owner: OwnerName, slug: Slug?, why: String)
    /// Appends a `set` or `del` to the owner's access log.
    func record(owner: OwnerName, event: String, slug: Slug, vault: Vault?, effect: String?)
    /// Hands an os.daemon value to the owner's daemon (wiping `value`); returns the slug held.
    func hold(owner: OwnerName, entry: KeyEntry, pinnedUID: UInt32?, sandboxed: Bool, value: inout [UInt8]) throws -> Slug
    /// One line for the user that does not fail the change (it has happened already).
    func warn(_ line: String)
}
