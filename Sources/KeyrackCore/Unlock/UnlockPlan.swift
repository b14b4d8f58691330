import Foundation
import SecretBytes
import KeyrackNames

/// What an unlock hands to the owner's daemon, decided without one: the values of each key, the
/// TTL of each grant, and the keys that stay locked with the reason. The rules live here once:
/// the TTL asked for (default 30 m for sudo, 9 h otherwise), cut by the key's `maxDuration`, by
/// a remote vault's lease, by the 30 m cap of sudo keys (unless the key's own `maxDuration`
/// says more), and by the expiry of a credential the key minted (AWS, GitHub App tokens).
public struct UnlockPlan {
    public struct Grant {
        /// The key's slug, or a key it derives in the same org and env (AWS_SESSION_TOKEN…).
        public var slug: Slug
        /// What `status` shows as its source: the vault, or `openbao:MOUNT/PATH#FIELD`.
        public var source: String
        public var ttlMilliseconds: UInt64
        public var value: [UInt8]
        /// Wall-clock end (ms since 1970) of the credential it holds: the caller cuts the TTL to
        /// it again just before sending, so the grant never outlives the credential.
        public var credentialEnd: UInt64?
        /// How the credential is revoked when the grant ends (KeySource.Value.revocation).
        public var revocation: String?
        /// The key's `sendTo`, shared by the keys it derives (an AWS key's secret and token go
        /// where its key id goes).
        public var sendTo: [String] = []
        /// What the revocation needs besides the value (KeySource.Value.revocationSecret).
        public var revocationSecret: [UInt8]?
    }

    /// One key's values as read: by `KeySource`, or by a remote vault the caller read first.
    public struct Read {
        /// The key's own value as stored (granted under its slug as it is), or its mechanism's outcome.
        public var resolved: KeySource.Resolved
        public var leaseSeconds: Int?
        public var source: String
        public init(outcome: KeySource.Outcome, leaseSeconds: Int? = nil, source: String) {
            self.init(resolved: .outcome(outcome), leaseSeconds: leaseSeconds, source: source)
        }
        public init(resolved: KeySource.Resolved, leaseSeconds: Int? = nil, source: String) {
            self.resolved = resolved
            self.leaseSeconds = leaseSeconds
            self.source = source
        }
    }

    /// What cut a grant's TTL below the one asked for, said to the user as a note.
    public enum Cap: Equatable, Sendable, CustomStringConvertible {
        /// The key's own maxDuration, as written (`1h`).
        case maxDuration(String)
        /// A remote vault's lease.
        case lease(seconds: Int)
        /// The 30 m cap of sudo keys, which a maxDuration of the key's own lifts.
        case sudo
        /// The expiry of the credential the key minted (ISO 8601).
        case credentialExpiry(String)

        public var description: String {
            switch self {
            case .maxDuration(let text): return "\(text) by its maxDuration"
            case .lease(let seconds): return "\(seconds)s by its OpenBao lease"
            case .sudo: return "30m (the cap of sudo keys; a maxDuration of the key's own allows more)"
            case .credentialExpiry(let iso): return "the credential's own expiry (\(iso))"
            }
        }
    }

    public static let sudoCapSeconds = 30 * 60
    /// The TTL of a key that is not sudo when `--duration` is not given: an owner's longest grant.
    public static let grantSeconds = 9 * 3600

    /// The TTL when `--duration` is not given.
    public static func defaultSeconds(env: String) -> Int { env == EnvName.sudo ? sudoCapSeconds : grantSeconds }

    /// The longest the identity agent may hold the owner's identities. It opens anything
    /// encrypted to the owner, so it lives no longer than the owner's longest grant, and no
    /// longer than a sudo grant when the manifest is known to hold sudo keys.
    public static func identityAgentCapSeconds(manifestHoldsSudoKeys: Bool) -> Int {
        manifestHoldsSudoKeys ? sudoCapSeconds : grantSeconds
    }

    public private(set) var grants: [Grant] = []
    public private(set) var omitted: [(slug: Slug, reason: LockedReason)] = []
    public private(set) var capped: [(slug: Slug, cap: Cap)] = []
    /// Whether a grant holds a minted credential (one with a `credentialEnd`): the caller cuts
    /// TTLs again only then, and needs no look-up by slug for an unlock of stored keys.
    public private(set) var mintsCredentials = false

    /// `read` is called once per entry, in order; its error ends the plan (and the unlock).
    public init(entries: [KeyEntry], requestedSeconds: Int, nowMilliseconds: UInt64,
                read: (KeyEntry) throws -> Read) throws {
        // One grant a key, nearly always: grown by doubling, the array was copied 15 times at 10 000 keys.
        grants.reserveCapacity(entries.count)
        for entry in entries {
            let got = try read(entry)
            try add(entry, got, requestedSeconds: requestedSeconds, nowMilliseconds: nowMilliseconds)
        }
    }

    /// The grants of one entry as `read` read it, or why it stays locked.
    private mutating func add(_ entry: borrowing KeyEntry, _ got: consuming Read, requestedSeconds: Int, nowMilliseconds: UInt64) throws {
        let slug = entry.slug
        let values: [KeySource.Value]
        switch got.resolved {
        case .outcome(.missing(let why)):
            omitted.append((slug, why))
            return
        case .outcome(.values(let read)):
            values = read
        case .own(let value):
            // The key's own value alone, as stored: no expiry, no revocation, its slug as it is.
            let ttl = ttl(entry, slug: slug, requestedSeconds: requestedSeconds, leaseSeconds: got.leaseSeconds)
            grants.append(Grant(slug: slug, source: got.source, ttlMilliseconds: ttl, value: value, credentialEnd: nil,
                                revocation: nil, sendTo: Self.destinations(entry), revocationSecret: nil))
            return
        }
        var ttl = ttl(entry, slug: slug, requestedSeconds: requestedSeconds, leaseSeconds: got.leaseSeconds)
        // The values read in place: taken out of their array one by one, each was copied.
        try values.withUnsafeBufferPointer { values in
            var end: UInt64?
            for j in values.indices {
                if let at = values[j].expiresAt { end = min(end ?? .max, UInt64(max(0, at.timeIntervalSince1970 * 1000))) }
            }
            if let end {
                mintsCredentials = true
                guard end > nowMilliseconds + 1000 else {
                    omitted.append((slug, "the credential it minted expires at once"))
                    // Values shared with the caller's outcome: zero the storage itself.
                    for j in values.indices { wipeStorage(values[j].value) }
                    return
                }
                if end - nowMilliseconds < ttl {
                    ttl = end - nowMilliseconds
                    capped.append((slug, .credentialExpiry(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(end) / 1000)))))
                }
            }
            let sendTo = Self.destinations(entry)
            for j in values.indices {
                // The key's own value is granted under its slug as it is; a derived one (an AWS
                // key's secret and token) under its own name, checked.
                let granted = values[j].key == slug.key ? slug : Slug(org: entry.org, env: entry.env, key: try KeyName(values[j].key))
                grants.append(Grant(slug: granted, source: got.source, ttlMilliseconds: ttl, value: values[j].value, credentialEnd: end,
                                    revocation: values[j].revocation, sendTo: sendTo, revocationSecret: values[j].revocationSecret))
            }
        }
    }

    /// The TTL asked for, cut by the key's maxDuration, a lease and the sudo cap, each cut noted;
    /// a credential's own expiry may cut it further (`add`).
    private mutating func ttl(_ entry: borrowing KeyEntry, slug: Slug, requestedSeconds: Int, leaseSeconds: Int?) -> UInt64 {
        var ttl = UInt64(max(requestedSeconds, 0)) * 1000
        func cut(to milliseconds: UInt64, _ why: Cap) {
            if milliseconds < ttl { ttl = milliseconds; capped.append((slug, why)) }
        }
        let maxDuration = entry.maxDuration
        if let cap = maxDuration { cut(to: UInt64(cap.seconds) * 1000, .maxDuration(cap.text)) }
        if let lease = leaseSeconds { cut(to: UInt64(max(lease, 0)) * 1000, .lease(seconds: lease)) }
        if entry.env.isSudo, maxDuration == nil { cut(to: UInt64(Self.sudoCapSeconds) * 1000, .sudo) }
        return ttl
    }

    /// The key's `sendTo`, as the daemon carries it.
    private static func destinations(_ entry: borrowing KeyEntry) -> [String] {
        let sendTo = entry.sendTo
        return sendTo.isEmpty ? [] : sendTo.map(\.description)
    }

    /// Zeroes every value the plan holds, in the storage it shares with the manifest it was read
    /// from and the requests made of it: `zeroize` there would copy the shared buffer and zero
    /// only the copy.
    public func wipe() {
        // Each grant read in place: `for grant in` copied each one.
        grants.withUnsafeBufferPointer { grants in
            for i in grants.indices {
                wipeStorage(grants[i].value)
                if let secret = grants[i].revocationSecret { wipeStorage(secret) }
            }
        }
    }
}
