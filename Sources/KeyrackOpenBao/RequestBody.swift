import Foundation

/// The JSON bodies of the OpenBao requests that carry no secret, each a type JSONEncoder writes.
/// The login bodies that carry a role_id, secret_id or JWT are SecretRequestBody's: JSONEncoder
/// would copy the secret into a String and a Data nobody can wipe.
enum RequestBody {
    /// auth/MOUNT/login of a cert login: `{"name":…}`, or `{}` for any role that trusts the card.
    struct CertLogin: Encodable {
        var name: String?
    }

    /// sys/leases/renew: the lease to last `increment` seconds from now.
    struct LeaseRenewal: Encodable {
        var leaseID: String
        var increment: Int
        enum CodingKeys: String, CodingKey {
            case leaseID = "lease_id"
            case increment
        }
    }

    /// auth/token/renew-self: the token to last `increment` seconds from now.
    struct TokenRenewal: Encodable {
        var increment: Int
    }

    /// `{}`: a POST whose path says it all (auth/token/create/ROLE).
    struct Empty: Encodable {}

    static func json<Body: Encodable>(_ body: Body) throws -> [UInt8] {
        let encoder = JSONEncoder()
        // Sorted keys: Foundation's JSONEncoder on Linux otherwise orders them by hash, differently
        // in each process. Lease ids are paths (database/creds/app/…): sent as they are, not as `\/`.
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(body))
    }
}
