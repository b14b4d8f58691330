import Foundation

/// OpenBao dynamic secrets (mech EPHEMERAL_VIA_OPENBAO_LEASE): the rules, decided here with
/// typed values; the HTTP is KeyrackOpenBao's and the daemon only keeps the note.
///
/// Why a lease token: revoking a token revokes the leases it created, and unlock revokes its
/// login token before it returns. So the login token creates an orphan token of the owner's
/// token role (`auth/token/create/ROLE`), that token reads each dynamic path once, and its
/// grants carry it (guarded, beside the value) with a note saying where to revoke it; when the
/// grant ends (relock, expiry, replacement, daemon stop) the daemon's revoker calls
/// `auth/token/revoke-self` with it, which revokes its leases (the database role is dropped).
public enum OpenBaoLease {
    /// One dynamic path read once per unlock, and the keys (fields) granted from it: a
    /// database's username and password share one lease.
    public struct PathGroup {
        public var path: String
        public var entries: [KeyEntry]
    }

    /// The lease entries of `entries`, one group per path, in the order first named.
    public static func groups(_ entries: [KeyEntry]) throws -> [PathGroup] {
        var out: [PathGroup] = []
        for entry in entries where entry.vault == .openBao && entry.mech == .ephemeralViaOpenBaoLease {
            let reference = try OpenBaoReference(parsing: entry.exid ?? "")
            if let i = out.firstIndex(where: { $0.path == reference.path }) {
                out[i].entries.append(entry)
            } else {
                out.append(PathGroup(path: reference.path, entries: [entry]))
            }
        }
        return out
    }

    /// A token role name, as `auth/token/create/ROLE` takes it.
    public static func validate(role: String) throws {
        let allowed: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        guard !role.isEmpty, role.utf8.count <= 100, role.allSatisfy(allowed) else {
            throw KeyrackError.usage("invalid OpenBao lease role '\(role.prefix(40))': use the name of a token role (letters, digits, - _ .), e.g. keyrack-lease")
        }
    }

    /// Seconds the lease lasts as read: the secret's lease and the lease token's own TTL (when
    /// the token expires, OpenBao revokes its leases), whichever ends first. A grant of a lease
    /// that cannot be renewed lives no longer; one that can lives its own TTL, the daemon renewing
    /// the lease (`renewable`).
    public static func grantSeconds(leaseSeconds: Int?, tokenSeconds: Int?) -> Int? {
        [leaseSeconds, tokenSeconds].compactMap { $0.flatMap { $0 > 0 ? $0 : nil } }.min()
    }

    /// Where the daemon's revoker ends the lease token and its renewer renews the lease: the
    /// server, its CA file and namespace, and the lease's id. It names no secret (a lease id
    /// grants nothing without a token allowed on sys/leases): the token travels beside it as the
    /// grant's guarded revocation secret. Grants of one lease share one note, so the daemon
    /// renews each lease once.
    public struct Note: Equatable {
        public var address: String
        public var caFile: String?
        public var namespace: String?
        /// The lease to renew; nil in a note that only revokes.
        public var leaseID: String?

        public init(address: String, caFile: String?, namespace: String?, leaseID: String? = nil) {
            (self.address, self.caFile, self.namespace, self.leaseID) = (address, caFile, namespace, leaseID)
        }

        static let kind = "openbao-lease-token"

        /// `openbao-lease-token\nADDRESS\nCAFILE\nNAMESPACE[\nLEASE_ID]` (empty lines for none).
        public var text: String {
            ([Self.kind, address, caFile ?? "", namespace ?? ""] + (leaseID.map { [$0] } ?? [])).joined(separator: "\n")
        }

        /// Nil when the note is of another kind (a GitHub installation token's).
        public init?(parsing text: String) {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard lines.count == 4 || lines.count == 5, lines[0] == Self.kind, !lines[1].isEmpty else { return nil }
            address = lines[1]
            caFile = lines[2].isEmpty ? nil : lines[2]
            namespace = lines[3].isEmpty ? nil : lines[3]
            leaseID = lines.count == 5 && !lines[4].isEmpty ? lines[4] : nil
        }
    }
}
