/// What the daemon knows about one unlocked key, minus the value: enough to answer STATUS and to
/// tell `get` where a value came from. Nothing in here is secret.
public struct GrantInfo: Sendable, Equatable {
    public var slug: Slug
    /// The vault the value was fetched from (`os.secure`, `1password`, …), for display only.
    public var vault: String
    /// Milliseconds left before the grant expires, as of the moment this value was made.
    public var remainingMilliseconds: UInt64
    /// Wall-clock expiry (Unix epoch ms) for display; expiry itself is decided on the boot clock.
    public var expiresAtWallMilliseconds: UInt64
    /// Where `exec --proxy` may send the value (`HOST[:PORT]` as `set --send-to` wrote them),
    /// carried with the grant so the proxy needs no manifest (and no touch) to know it.
    public var sendTo: [String]

    public init(slug: Slug, vault: String, remainingMilliseconds: UInt64, expiresAtWallMilliseconds: UInt64, sendTo: [String] = []) {
        self.sendTo = sendTo
        self.slug = slug
        self.vault = vault
        self.remainingMilliseconds = remainingMilliseconds
        self.expiresAtWallMilliseconds = expiresAtWallMilliseconds
    }
}

/// A grant to put into the daemon: the slug, where it came from, how long it may live, and the
/// value. `unlock` builds these; the daemon copies the value into guarded memory at once.
public struct GrantRequest {
    public var slug: Slug
    public var vault: String
    public var ttlMilliseconds: UInt64
    public var value: [UInt8]
    public var sendTo: [String]

    public init(slug: Slug, vault: String, ttlMilliseconds: UInt64, value: [UInt8], sendTo: [String] = []) {
        self.sendTo = sendTo
        self.slug = slug
        self.vault = vault
        self.ttlMilliseconds = ttlMilliseconds
        self.value = value
    }
}

/// The answer to one GET query.
public enum GrantLookup: Equatable {
    /// Unlocked and not expired. `slug` is the source slug (`ORG.all.KEY` after a fallback).
    case granted(GrantInfo, value: [UInt8])
    /// The owner has this key, but it is not unlocked (never, or relocked since).
    case locked(Slug)
    /// It was unlocked and its time ran out.
    case expired(Slug)
    /// The owner has no such key, as far as this daemon was told at the last unlock.
    case absent(Slug?)
    /// A bare key name that matches several slugs; the caller must say which env or org.
    case ambiguous([Slug])
}
