import Foundation
import KeyrackNames
import NIOCore
import NIOPosix
import NIOSSL
import SecretBytes

/// Where the server is and how to trust it.
public struct OpenBaoServer: Sendable {
    public var address: String
    /// A PEM file of the CA(s) that sign the server's certificate; nil: the system's roots.
    public var caFile: String?
    /// Vault Enterprise / OpenBao namespace (X-Vault-Namespace), if any.
    public var namespace: String?
    public var timeoutSeconds: Int

    public init(address: String, caFile: String? = nil, namespace: String? = nil, timeoutSeconds: Int = 30) {
        (self.address, self.caFile, self.namespace, self.timeoutSeconds) = (address, caFile, namespace, timeoutSeconds)
    }
}

/// How to get a token.
public enum OpenBaoLogin {
    /// A token the person already has (BAO_TOKEN, ~/.vault-token): used, never revoked.
    case token(LockedBytes)
    /// POST auth/MOUNT/login with role_id and secret_id.
    case appRole(mount: String, roleID: LockedBytes, secretID: LockedBytes)
    /// POST auth/MOUNT/login over mutual TLS whose client key is `signer` (the card).
    case cert(mount: String, name: String?, signer: TLSClientSigner)
    /// POST auth/MOUNT/login with a JWT (GitHub Actions' ID token, or one the card signed) and
    /// the role it is checked against (nil: the mount's default_role).
    case jwt(mount: String, role: String?, token: LockedBytes)

    var method: String {
        switch self {
        case .token: return "token"
        case .appRole: return "approle"
        case .cert: return "cert"
        case .jwt: return "jwt"
        }
    }
}

/// One KV value read, and how long the server says it is good for.
public struct KVValue {
    public var value: [UInt8]
    /// The secret's lease (KV v1 `lease_duration`) or its `ttl` field, in seconds, when it has one.
    public var ttlSeconds: Int?
}

/// One read of a dynamic secret: its fields and its lease.
public struct LeaseRead {
    public var fields: [String: [UInt8]]
    public var leaseID: String
    public var leaseSeconds: Int?
    /// The server says the lease may be renewed (`renewable`): the daemon then renews it while
    /// its grants live, instead of ending them with it.
    public var renewable: Bool = false

    public mutating func wipe() { for k in fields.keys { zeroize(&fields[k]!) } }
}

/// How one renewal of a lease went (`OpenBaoSession.renew`).
public enum LeaseRenewalAnswer: Equatable, Sendable {
    /// It lasts `seconds` from the request (fewer than asked: it met its max_ttl or its token's end).
    case renewed(seconds: Int)
    /// Not renewed this time; the reason, one line without a secret.
    case failed(String)
    /// Not renewable any further: the lease reached its max_ttl (it still lasts until its end).
    case atMaximum(String)
    /// The lease no longer exists (revoked, expired, its token gone).
    case gone(String)
}

/// A session with one server: log in once, read any number of secrets, log out (revoking a token
/// this session created). Blocking; one request at a time.
public final class OpenBaoSession {
    private let server: OpenBaoServer
    private let endpoint: Endpoint
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let plainTLS: NIOSSLContext?
    private var token: LockedBytes?
    private var ownsToken = false
    private var mounts: [String: (mount: String, version: Int)] = [:]
    private let counter = SignatureCounter()

    public init(server: OpenBaoServer) throws {
        self.server = server
        endpoint = try Endpoint(server.address)
        plainTLS = endpoint.isTLS ? try Self.context(server, clientKey: nil) : nil
    }

    deinit { try? group.syncShutdownGracefully() }

    /// The address as a session would connect to it, or the error a session would throw (an
    /// invalid address, plain http off this machine), without connecting: the CLI checks every
    /// address of an unlock before its first connection.
    public static func checkedAddress(_ address: String) throws -> ServerAddress {
        try Endpoint(address).address
    }

    /// Card signatures made by `login` (one per cert login).
    public var cardSignatures: Int { counter.signatures }
    public var address: String { endpoint.display }

    public func login(_ login: OpenBaoLogin) throws {
        switch login {
        case .token(let t):
            token = t
            ownsToken = false
        case .appRole(let mount, let roleID, let secretID):
            var body = SecretRequestBody.json([("role_id", .secret(roleID)), ("secret_id", .secret(secretID))])
            defer { zeroize(&body) }
            try finishLogin(method: "approle", try request("POST", "auth/\(mount)/login", body: body, tls: plainTLS, during: "the AppRole login"))
        case .jwt(let mount, let role, let jwt):
            var body = SecretRequestBody.json([("role", role.map { .text($0) }), ("jwt", .secret(jwt))])
            defer { zeroize(&body) }
            try finishLogin(method: "jwt", try request("POST", "auth/\(mount)/login", body: body, tls: plainTLS, during: "the JWT login"))
        case .cert(let mount, let name, let signer):
            guard endpoint.isTLS else { throw OpenBaoError.configuration("a cert login needs an https:// OpenBao address, not \(endpoint.display)") }
            let mutual = try Self.context(server, clientKey: (signer, counter))
            let body = try RequestBody.json(RequestBody.CertLogin(name: name))
            let response: HTTPSConnection.Response
            // Whatever happens, the card is not closed under a signature still running.
            defer { counter.waitIdle() }
            do {
                response = try request("POST", "auth/\(mount)/login", body: body, tls: mutual, during: "the cert login")
            } catch let error as OpenBaoError {
                counter.waitIdle()
                // The card's own reason (PIN, touch, card gone) beats "handshake failed".
                if let cardError = counter.cardError { throw cardError }
                throw error
            }
            try finishLogin(method: "cert", response)
        }
    }

    /// Reads FIELD of the KV secret at MOUNT/PATH (v1 or v2, as the server says).
    public func read(path: String, field: String) throws -> KVValue {
        let (mount, version) = try mountOf(path)
        let rest = String(path.dropFirst(mount.count))
        let apiPath = version == 2 ? "\(mount)data/\(rest)" : path
        let response = try get(apiPath, secret: path, during: "the read of \(path)")
        guard let top = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              var data = top["data"] as? [String: Any] else {
            throw OpenBaoError.server(address: endpoint.display, status: 200, errors: "the answer for \(path) is not a KV secret")
        }
        if version == 2 {
            guard let inner = data["data"] as? [String: Any] else { throw OpenBaoError.missingPath(address: endpoint.display, path: path) }
            data = inner
        }
        guard let raw = data[field] else { throw OpenBaoError.missingField(path: path, field: field, available: Array(data.keys)) }
        let value: [UInt8]
        switch raw {
        case let s as String: value = Array(s.utf8)
        case let n as NSNumber: value = Array(n.stringValue.utf8)
        default: throw OpenBaoError.fieldNotText(path: path, field: field)
        }
        var ttls: [Int] = []
        if let lease = top["lease_duration"] as? Int, lease > 0 { ttls.append(lease) }
        if let ttl = data["ttl"].flatMap(Self.seconds) { ttls.append(ttl) }
        return KVValue(value: value, ttlSeconds: ttls.min())
    }

    /// Revokes the token if this session created it (auth/token/revoke-self) and forgets it.
    /// Returns false when the revocation could not be confirmed (the token then ends at its TTL).
    @discardableResult
    public func logout() -> Bool {
        defer { token = nil; ownsToken = false }
        guard token != nil, ownsToken else { return true }
        guard let r = try? request("POST", "auth/token/revoke-self", body: [], tls: plainTLS, during: "the logout") else { return false }
        return r.status == 204 || r.status == 200
    }

    // MARK: - dynamic secrets (leases)

    /// A token of the token role `role` (auth/token/create/ROLE), created with the login token:
    /// the role makes it an orphan, so revoking the login token leaves it and its leases alive.
    /// Returns it (locked memory), its TTL in seconds, and whether it may be renewed (its end
    /// revokes its leases, so only a renewable token lets a renewed lease outlive its first TTL).
    public func createToken(role: String) throws -> (token: LockedBytes, ttlSeconds: Int?, renewable: Bool) {
        let r = try request("POST", "auth/token/create/\(role)", body: try RequestBody.json(RequestBody.Empty()), tls: plainTLS, during: "the lease token's creation")
        switch r.status {
        case 200: break
        case 403: throw OpenBaoError.forbidden(address: endpoint.display, path: "auth/token/create/\(role)")
        case 400, 404:
            throw OpenBaoError.server(address: endpoint.display, status: r.status,
                                      errors: "cannot create a token of role \(role): \(Self.errors(r.body, or: "HTTP \(r.status)")) (the login's policy needs update on auth/token/create/\(role))")
        default: throw failure(r)
        }
        guard let top = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any],
              let auth = top["auth"] as? [String: Any], let t = auth["client_token"] as? String, !t.isEmpty else {
            throw OpenBaoError.server(address: endpoint.display, status: 200, errors: "the token creation answered without a token")
        }
        var bytes = Array(t.utf8)
        let ttl = (auth["lease_duration"] as? Int).flatMap { $0 > 0 ? $0 : nil }
        return (LockedBytes(taking: &bytes), ttl, (auth["renewable"] as? Bool) ?? false)
    }

    /// One read of a dynamic secret with `token` (the lease token): its text fields, and its
    /// lease. A path that answers without a lease is refused (it is not dynamic).
    public func readLease(path: String, token: LockedBytes) throws -> LeaseRead {
        let r = try get(path, secret: path, during: "the read of \(path)", as: token)
        guard let top = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any],
              let data = top["data"] as? [String: Any] else {
            throw OpenBaoError.server(address: endpoint.display, status: 200, errors: "the answer for \(path) has no data")
        }
        guard let leaseID = top["lease_id"] as? String, !leaseID.isEmpty else {
            throw OpenBaoError.server(address: endpoint.display, status: 200,
                                      errors: "\(path) answered without a lease: it is not a dynamic secret (use mech PERMANENT_VIA_REFERENCE for a KV secret)")
        }
        var fields: [String: [UInt8]] = [:]
        for (name, raw) in data {
            switch raw {
            case let s as String: fields[name] = Array(s.utf8)
            case let n as NSNumber: fields[name] = Array(n.stringValue.utf8)
            default: continue
            }
        }
        let seconds = (top["lease_duration"] as? Int).flatMap { $0 > 0 ? $0 : nil }
        return LeaseRead(fields: fields, leaseID: leaseID, leaseSeconds: seconds, renewable: (top["renewable"] as? Bool) ?? false)
    }

    /// `auth/token/revoke-self` with `token`: revokes it and every lease it created. True when
    /// the server confirmed (204), or said the token is no longer valid (403: already revoked,
    /// e.g. with the other key of its lease, or expired, which revoked its leases too).
    public func revokeSelf(token: LockedBytes) throws -> Bool {
        let r = try request("POST", "auth/token/revoke-self", body: [], tls: plainTLS, during: "the lease token's revocation", as: token)
        switch r.status {
        case 200, 204, 403: return true
        default: throw failure(r)
        }
    }

    /// Renews the lease `leaseID` to last `incrementSeconds` from now, with `token` (the lease
    /// token: its policy allows update on sys/leases/renew), then the token itself
    /// (auth/token/renew-self, which the `default` policy allows), since the token's end revokes
    /// its leases: the lease lasts the shorter of the two. Never throws: the daemon's renewer
    /// logs what it returns (addresses and statuses, never the token).
    public func renew(lease leaseID: String, incrementSeconds: Int, token: LockedBytes) -> LeaseRenewalAnswer {
        do {
            let body = try RequestBody.json(RequestBody.LeaseRenewal(leaseID: leaseID, increment: incrementSeconds))
            let r = try request("POST", "sys/leases/renew", body: body, tls: plainTLS, during: "the lease's renewal", as: token)
            switch r.status {
            case 200: break
            case 400 where Self.errors(r.body, or: "").lowercased().contains("lease not found")
                        || Self.errors(r.body, or: "").lowercased().contains("invalid lease"):
                return .gone("OpenBao at \(endpoint.display) no longer has it")
            case 400 where Self.errors(r.body, or: "").lowercased().contains("past the max ttl"):
                // OpenBao counts max_ttl in whole seconds: the last renewal may already have met it.
                return .atMaximum("OpenBao at \(endpoint.display) says it is past its max_ttl")
            case 403:
                // A dead token has had its leases revoked with it; a live one lacks the policy.
                let lookup = try? request("GET", "auth/token/lookup-self", tls: plainTLS, during: "the lease token's lookup", as: token)
                guard lookup?.status == 200 else { return .gone("its lease token is no longer valid at \(endpoint.display)") }
                return .failed("OpenBao at \(endpoint.display) refused the renewal (403): the lease token's policy needs update on sys/leases/renew")
            default:
                return .failed(failure(r).description)
            }
            guard let top = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any],
                  let leaseSeconds = top["lease_duration"] as? Int else {
                return .failed("OpenBao at \(endpoint.display) answered the renewal without a lease_duration")
            }
            let t = try request("POST", "auth/token/renew-self", body: try RequestBody.json(RequestBody.TokenRenewal(increment: incrementSeconds)), tls: plainTLS,
                                during: "the lease token's renewal", as: token)
            guard t.status == 200, let tokenTop = try? JSONSerialization.jsonObject(with: Data(t.body)) as? [String: Any],
                  let auth = tokenTop["auth"] as? [String: Any], let tokenSeconds = auth["lease_duration"] as? Int else {
                return .failed("OpenBao at \(endpoint.display) did not renew the lease token (HTTP \(t.status): \(Self.errors(t.body, or: "no reason given"))); keep the `default` policy on its token role")
            }
            return .renewed(seconds: max(0, min(leaseSeconds, tokenSeconds)))
        } catch {
            return .failed("\(error)")
        }
    }

    // MARK: - internals

    private func finishLogin(method: String, _ response: HTTPSConnection.Response) throws {
        switch response.status {
        case 200: break
        case 400, 401, 403: throw OpenBaoError.loginRefused(method: method, address: endpoint.display, reason: Self.errors(response.body, or: "HTTP \(response.status)"))
        default: throw failure(response)
        }
        guard let top = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let auth = top["auth"] as? [String: Any], let t = auth["client_token"] as? String, !t.isEmpty else {
            throw OpenBaoError.server(address: endpoint.display, status: 200, errors: "the \(method) login answered without a token")
        }
        var bytes = Array(t.utf8)
        token = LockedBytes(taking: &bytes)
        ownsToken = true
    }

    /// The mount a path lives under and its KV version, from sys/internal/ui/mounts (what
    /// `bao kv get` asks too); one request per mount per session.
    private func mountOf(_ path: String) throws -> (String, Int) {
        if let hit = mounts.first(where: { path.hasPrefix($0.key) }) { return (hit.key, hit.value.version) }
        let r = try get("sys/internal/ui/mounts/\(path)", secret: path, during: "the mount lookup of \(path)")
        guard let top = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any],
              let data = top["data"] as? [String: Any], let mount = data["path"] as? String, path.hasPrefix(mount) else {
            throw OpenBaoError.missingPath(address: endpoint.display, path: path)
        }
        guard (data["type"] as? String) == "kv" else {
            throw OpenBaoError.server(address: endpoint.display, status: 200, errors: "\(mount) is a \(data["type"] as? String ?? "non-KV") mount, not KV")
        }
        let options = data["options"] as? [String: Any]
        let version = (options?["version"] as? String) == "2" ? 2 : 1
        mounts[mount] = (mount, version)
        return (mount, version)
    }

    /// A GET about the secret at `secret`: 200, or the error a 403 / 404 / other status means.
    private func get(_ apiPath: String, secret: String, during: String, as other: LockedBytes? = nil) throws -> HTTPSConnection.Response {
        let r = try request("GET", apiPath, tls: plainTLS, during: during, as: other)
        switch r.status {
        case 200: return r
        case 403: throw OpenBaoError.forbidden(address: endpoint.display, path: secret)
        case 404: throw OpenBaoError.missingPath(address: endpoint.display, path: secret)
        default: throw failure(r)
        }
    }

    private func failure(_ r: HTTPSConnection.Response) -> OpenBaoError {
        let errors = Self.errors(r.body, or: "")
        if r.status == 503, errors.lowercased().contains("sealed") { return .sealed(address: endpoint.display) }
        return .server(address: endpoint.display, status: r.status, errors: errors)
    }

    private func request(_ method: String, _ path: String, body: [UInt8]? = nil, tls: NIOSSLContext?, during: String,
                         as other: LockedBytes? = nil) throws -> HTTPSConnection.Response {
        let token = other ?? self.token
        var head = "\(method) /v1/\(path) HTTP/1.1\r\nHost: \(endpoint.authority)\r\n"
        head += "User-Agent: keyrack\r\nAccept: application/json\r\nConnection: close\r\nX-Vault-Request: true\r\n"
        if let ns = server.namespace { head += "X-Vault-Namespace: \(ns)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        var bytes = Array(head.utf8)
        if let token {
            bytes += Array("X-Vault-Token: ".utf8)
            token.withBytes { bytes += $0 }
            bytes += [13, 10]
        }
        bytes += [13, 10]
        if let body { bytes += body }
        let connection = HTTPSConnection(group: group, endpoint: endpoint, tls: tls, timeoutSeconds: server.timeoutSeconds)
        return try connection.send(&bytes, during: during)
    }

    private static func context(_ server: OpenBaoServer, clientKey: (TLSClientSigner, SignatureCounter)?) throws -> NIOSSLContext {
        var config = TLSConfiguration.makeClientConfiguration()
        config.minimumTLSVersion = .tlsv12
        if let caFile = server.caFile {
            do {
                config.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            } catch {
                throw OpenBaoError.configuration("cannot read the OpenBao CA file '\(caFile)': it must be a readable PEM file of certificates")
            }
        }
        if let (signer, counter) = clientKey {
            do {
                config.certificateChain = [.certificate(try NIOSSLCertificate(bytes: signer.certificateDER, format: .der))]
            } catch {
                throw OpenBaoError.noCardCertificate
            }
            config.privateKey = .privateKey(NIOSSLPrivateKey(customPrivateKey: DelegatedKey(signer: signer, counter: counter)))
        }
        do { return try NIOSSLContext(configuration: config) } catch {
            throw OpenBaoError.configuration("cannot set up TLS for OpenBao: \(error)")
        }
    }

    /// The server's `errors` lines, joined; never more than 200 characters.
    static func errors(_ body: [UInt8], or fallback: String) -> String {
        guard let top = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let list = top["errors"] as? [String], !list.isEmpty else { return fallback }
        return String(list.joined(separator: "; ").replacingOccurrences(of: "\n", with: " ").prefix(200))
    }

    /// A `ttl` field: whole seconds, or a duration such as 90s, 15m, 1h30m (KeyrackNames' grammar).
    static func seconds(_ raw: Any) -> Int? {
        let value = (raw as? Int) ?? (raw as? String).flatMap { Int($0) ?? DurationGrammar.seconds($0) }
        return value.flatMap { $0 > 0 ? $0 : nil }
    }
}
