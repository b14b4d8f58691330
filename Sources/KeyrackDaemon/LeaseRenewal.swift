import KeyrackNames

/// A lease to renew while its grants live (an OpenBao dynamic secret's), for the `GrantRenewer`
/// of the daemon's process. The daemon knows when and for how long to renew, never how: it hands
/// over the grant's note (which names the lease; it never reads it) and a copy of the grant's
/// revocation secret (the scoped token that renews and revokes), wiped once done.
public struct Renewal {
    /// The grants that share the lease (one read, one lease: a database's username and password).
    public let slugs: [Slug]
    /// The unlock side's note of those grants (GrantRequest.revocation).
    public let note: String
    /// How long the lease is asked to last from now, in whole seconds: its first duration again,
    /// cut so that it ends no later than the longest of its grants.
    public let incrementSeconds: UInt64
    /// Boot-clock ms when the renewal was taken: a renewed lease is counted from here, which is
    /// never later than the server's "now", so the daemon never thinks a lease lasts longer than it does.
    let startedMilliseconds: UInt64
    let secret: GuardedBytes?

    /// The grants' revocation secret, nil when they had none.
    public func withSecret<R>(_ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        guard let secret else { return try body(nil) }
        return try secret.withBytes { try body($0) }
    }

    public func wipe() { secret?.wipe() }
}

/// What one renewal did, as the renewer reports it (its strings are logged: never a secret).
public enum RenewalOutcome: Equatable, Sendable {
    /// The lease now lasts `seconds` from the request. Fewer than asked: it met its maximum
    /// (the role's max_ttl, or its token's end), so it is not renewed again and its grants end with it.
    case renewed(seconds: UInt64)
    /// The lease cannot be renewed any further (the server says it is at its max_ttl): it keeps
    /// the end it has, is not asked again, and its grants end with it.
    case atMaximum(String)
    /// Not renewed this time (the server unreachable or refusing): the lease keeps the end it
    /// had, and is retried before that end; the grants end with the lease if no retry succeeds.
    case failed(String)
    /// The lease no longer exists (revoked, expired, its token gone): its grants end now.
    case ended(String)
}

/// Renews leases for the daemon, like `GrantRevoker` revokes: given by the process that runs
/// the daemon (keyrack-cli's `daemon run`, which links the vault code), called on a thread of its
/// own with the note it attached at unlock.
public typealias GrantRenewer = @Sendable (_ renewal: Renewal) -> RenewalOutcome

/// When a leased grant's lease is next renewed, and until when it lasts (boot-clock ms).
struct LeaseSchedule {
    /// The lease ends here unless renewed; the grant ends with it.
    var end: UInt64
    /// The lease's first duration (ms): each renewal asks for this much again, so a daemon
    /// killed with SIGKILL leaves a lease that ends as soon as the first one would have.
    var period: UInt64
    /// The next renewal; nil once none is needed (the lease reaches the grant's end) or
    /// possible (it met its maximum, or the last retry would come after its end).
    var next: UInt64?
    var inFlight = false

    init(now: UInt64, milliseconds: UInt64) {
        end = now &+ milliseconds
        period = milliseconds
        next = now &+ Self.twoThirds(of: milliseconds)
    }

    static func twoThirds(of milliseconds: UInt64) -> UInt64 { milliseconds / 3 * 2 + milliseconds % 3 * 2 / 3 }

    /// Retries of a failed renewal come at two thirds of what is left, at least this far apart.
    static let minimumRetryMilliseconds: UInt64 = 1000
}
