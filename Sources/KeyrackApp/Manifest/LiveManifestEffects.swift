import KeyrackClient
import KeyrackCore
import KeyrackDaemon
import KeyrackNames

/// The manifest use cases' side effects as the CLI has them: the owner's live daemon
/// (LiveDaemon), the access log (ManifestAudit), warnings on stderr.
public struct LiveManifestEffects: ManifestEffects {
    public init() {}

    public func revoke(owner: OwnerName, slug: Slug?, why: String) { LiveDaemon.revoke(owner: owner, slug: slug, why: why) }

    public func record(owner: OwnerName, event: String, slug: Slug, vault: Vault?, effect: String?) {
        ManifestAudit.keyChange(owner: owner.value, event, slug: slug.description, vault: vault?.rawValue, effect: effect)
    }

    public func hold(owner: OwnerName, entry: KeyEntry, pinnedUID: UInt32?, sandboxed: Bool, value: inout [UInt8]) throws -> Slug {
        let held = try LiveDaemon.hold(owner: owner, entry: entry, pinnedUID: pinnedUID, sandboxed: sandboxed, value: &value)
        Terminal.printError("\(held) is held by the daemon of '\(owner.value)' only: nothing of it is on disk, and it is gone when the daemon stops or its TTL ends")
        return held
    }

    public func warn(_ line: String) { Terminal.printError(line) }
}
