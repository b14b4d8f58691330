/// How an owner reaches its OpenBao / Vault cluster: the `openbao:` section of its manifest
/// (`keyrack set-default`). A key's own `addr`/`cacert` win over these; the environment
/// (BAO_ADDR, VAULT_ADDR, VAULT_CACERT, VAULT_NAMESPACE) fills what neither says.
import KeyrackNames

public struct OpenBaoSettings: Equatable, Sendable {
    public enum Login: String, CaseIterable, Sendable, Encodable {
        /// A token from BAO_TOKEN / VAULT_TOKEN or ~/.vault-token (a person who ran `bao login`).
        case token
        /// role_id + secret_id kept as os.secure keys of this manifest.
        case approle
        /// `cert` auth over mutual TLS, signed by the owner's YubiKey.
        case cert
        /// `jwt` auth: a JWT from `jwtSource` (GitHub Actions' ID token, or one the card signs).
        case jwt

        public init(parsing text: String) throws {
            guard let login = Login(rawValue: text) else {
                throw KeyrackError.usage("invalid OpenBao login '\(text.prefix(20))': use cert, approle, jwt or token")
            }
            self = login
        }
    }

    /// Where a `jwt` login's JWT comes from.
    public enum JWTSource: String, CaseIterable, Sendable, Encodable {
        /// The GitHub Actions job's ID token (ACTIONS_ID_TOKEN_REQUEST_URL), asked for at unlock.
        case github
        /// A short-lived JWT keyrack builds and the owner's YubiKey signs.
        case card

        public init(parsing text: String) throws {
            guard let source = JWTSource(rawValue: text) else {
                throw KeyrackError.usage("invalid OpenBao JWT source '\(text.prefix(20))': use github or card")
            }
            self = source
        }
    }

    public var addr: String?
    public var cacert: String?
    public var namespace: String?
    public var login: Login?
    /// The auth mount, when not the method's name (`cert`, `approle`).
    public var authMount: String?
    /// cert: the name under auth/cert/certs/ to log in as (default: any that trusts the cert).
    public var certRole: String?
    /// cert: the PIV slot holding the key + certificate, two hex digits (default 9a).
    public var slot: String?
    /// cert: the YubiKey's serial (default: the owner's card, else the only one plugged in).
    public var serial: UInt32?
    /// approle: the os.secure keys of this manifest holding role_id and secret_id.
    public var roleIdKey: Slug?
    public var secretIdKey: Slug?
    /// jwt: the role to log in as (auth/MOUNT/login's `role`; default: the mount's default_role).
    public var jwtRole: String?
    /// jwt: the audience asked of GitHub Actions (its `aud` claim; default: GitHub's, the owner's URL).
    public var jwtAudience: String?
    /// jwt: where the JWT comes from (default github).
    public var jwtSource: JWTSource?
    /// Dynamic secrets (mech EPHEMERAL_VIA_OPENBAO_LEASE): the token role (orphan, periodic,
    /// allowed to read the creds paths and renew/revoke leases) whose token reads them, so the
    /// leases outlive the login token that unlock revokes (OpenBaoLease).
    public var leaseRole: String?

    public init() {}

    public var isEmpty: Bool { self == OpenBaoSettings() }

    /// Checks the shape of a stored address: an http(s):// URL. A manifest read is not refused
    /// for more, so a stale address can still be listed and replaced; `validateToStore` and the
    /// client (before it connects) apply the whole rule.
    public static func validate(addr: String) throws {
        let lower = addr.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://"), addr.utf8.count <= 200,
              !addr.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw KeyrackError.usage("invalid OpenBao address '\(addr.prefix(80))': use https://HOST:PORT (e.g. https://bao.example.net:8200)")
        }
    }

    /// Checks an address given to `set` or `set-default`: a valid https:// URL, or http:// to
    /// this machine's loopback only (ServerAddress, the rule the client applies again before it
    /// connects).
    public static func validateToStore(addr: String) throws {
        try validate(addr: addr)
        let address: ServerAddress
        do { address = try ServerAddress(parsing: addr) } catch { throw KeyrackError.usage("OpenBao: \(error)") }
        if let refusal = address.plainHTTPRefusal { throw KeyrackError.usage(refusal) }
    }
}
