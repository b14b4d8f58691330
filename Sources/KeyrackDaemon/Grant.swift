/// What the daemon knows about one unlocked key, minus the value: enough to answer STATUS and to
/// tell `get` where a value came from. Nothing in here is secret.
import KeyrackNames

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
    /// What ends the credential when the grant ends (relock, expiry, replacement, daemon stop),
    /// as the unlock side words it (a GitHub installation token's revocation URL). The daemon
    /// never reads it: it keeps it with the grant and hands it, with the value, to the
    /// `GrantRevoker` its process was started with. Nil: nothing to do but wipe.
    public var revocation: String?
    /// What the revocation needs besides the value (an OpenBao lease token, which is not the
    /// granted value): copied into guarded memory with the value, never answered to GET, handed
    /// to the revoker only. Needs a `revocation` note.
    public var revocationSecret: [UInt8]?

    /// Where the value may be sent (`set --send-to`), for `exec --proxy`: the daemon only carries it.
    public var sendTo: [String]

    /// A renewable lease behind the value (an OpenBao dynamic secret) and how long it lasts from
    /// now: the daemon renews it at about two thirds of that through its `GrantRenewer`, never
    /// past the grant's TTL, and the grant ends with it when it can no longer be renewed. Nil: the
    /// value lasts the whole TTL on its own. Needs a `revocation` note (it names the lease).
    public var leaseMilliseconds: UInt64?

    public init(slug: Slug, vault: String, ttlMilliseconds: UInt64, value: [UInt8], revocation: String? = nil,
                revocationSecret: [UInt8]? = nil, sendTo: [String] = [], leaseMilliseconds: UInt64? = nil) {
        self.sendTo = sendTo
        self.leaseMilliseconds = leaseMilliseconds
        self.slug = slug
        self.vault = vault
        self.ttlMilliseconds = ttlMilliseconds
        self.value = value
        self.revocation = revocation
        self.revocationSecret = revocationSecret
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

/// An ended grant whose credential is to be revoked: the unlock side's note and the value (still
/// in guarded memory), for the `GrantRevoker` of the daemon's process; wiped once done.
public struct Revocation {
    public let slug: Slug
    public let note: String
    let value: GuardedBytes
    let secret: GuardedBytes?

    /// The value, for the revoker's request only (it is the credential being ended).
    public func withValue<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try value.withBytes(body) }

    /// The grant's revocation secret (GrantRequest.revocationSecret), nil when it had none.
    public func withSecret<R>(_ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        guard let secret else { return try body(nil) }
        return try secret.withBytes { try body($0) }
    }

    public func wipe() { value.wipe(); secret?.wipe() }
}

/// Ends credentials for the daemon: `revoke` returns nil once the credential is revoked, else
/// why not (logged; the credential then ends at its own expiry). The daemon knows grants, not
/// vaults: the process that runs it (keyrack-cli's `daemon run`) supplies this, and the daemon
/// calls it with notes it never reads, so the dependency stays one way.
public typealias GrantRevoker = @Sendable (_ revocation: Revocation) -> String?
