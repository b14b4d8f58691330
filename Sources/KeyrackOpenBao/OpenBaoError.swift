import KeyrackNames

/// What can go wrong talking to an OpenBao / Vault server, one case per thing the user does
/// differently next. Messages name the address, paths and fields, never a token or a value; the
/// CLI maps each case to an exit code (not granted or unreachable) and prints `description`.
public enum OpenBaoError: Error, Equatable, CustomStringConvertible {
    /// Nothing answers at the address (refused, no route, DNS).
    case unreachable(address: String, reason: String)
    /// The server did not answer within the client timeout.
    case timeout(address: String, seconds: Int)
    /// The connection closed before a whole answer arrived (a server killed mid-request).
    case closed(address: String, during: String)
    /// The TLS handshake failed: an untrusted server certificate, a wrong CA file, a refused client certificate.
    case tls(address: String, reason: String)
    /// The server's certificate is not signed by a CA this client trusts: its CA is to be given.
    case untrustedCertificate(address: String)
    /// The server's certificate is trusted but names other hosts than the one in the address.
    case hostMismatch(address: String, host: String)
    /// The server is sealed (HTTP 503): an operator must unseal it.
    case sealed(address: String)
    /// The login itself was refused (HTTP 400/403 from auth/…/login).
    case loginRefused(method: String, address: String, reason: String)
    /// HTTP 403 on a secret: the login's policies do not cover the path.
    case forbidden(address: String, path: String)
    /// HTTP 404: no secret at the path (or its latest version is deleted).
    case missingPath(address: String, path: String)
    /// The secret exists but has no such field; `available` are the field names (never values).
    case missingField(path: String, field: String, available: [String])
    /// The field holds a list or a map, not a string.
    case fieldNotText(path: String, field: String)
    /// Any other answer: the status and the server's own error lines.
    case server(address: String, status: Int, errors: String)
    /// The CA file or client certificate could not be loaded.
    case configuration(String)
    /// The card's slot holds no certificate that parses as X.509, so a cert login has none to present.
    case noCardCertificate
    /// An http:// address off this machine: refused before any connection (ServerAddress's rule).
    case plainHTTP(address: String)
    /// A key names a server other than the one the owner's login is configured for: refused
    /// before any connection, so the login never reaches a server it was not meant for.
    case otherServer(key: String, address: String, loginServer: String?, owner: String)

    /// Reachability problems (exit 1) as opposed to "the server answered no" (exit 3).
    public var isUnreachable: Bool {
        switch self {
        case .unreachable, .timeout, .closed, .tls, .untrustedCertificate, .hostMismatch, .server, .configuration, .noCardCertificate: return true
        default: return false
        }
    }

    /// Addresses keyrack refuses to use as configured (exit 2, like a bad option): the fix is
    /// the owner's configuration, not the server.
    public var isRefusedConfiguration: Bool {
        switch self {
        case .plainHTTP, .otherServer: return true
        default: return false
        }
    }

    public var description: String { remedy.map { "\(problem): \($0)" } ?? problem }

    /// What went wrong, without what to do about it.
    public var problem: String {
        switch self {
        case .unreachable(let a, let why): return "cannot reach OpenBao at \(a): \(why)"
        case .timeout(let a, let s): return "OpenBao at \(a) did not answer within \(s)s"
        case .closed(let a, let during): return "OpenBao at \(a) closed the connection during \(during); nothing was unlocked"
        case .tls(let a, let why): return "TLS with OpenBao at \(a) failed: \(why)"
        case .untrustedCertificate(let a): return "TLS with OpenBao at \(a) failed: the server's certificate is not signed by a trusted CA"
        case .hostMismatch(let a, let host): return "TLS with OpenBao at \(a) failed: its certificate does not cover the host \(host)"
        case .sealed(let a): return "OpenBao at \(a) is sealed"
        case .loginRefused(let m, let a, let why): return "OpenBao at \(a) refused the \(m) login: \(why)"
        case .forbidden(let a, let p): return "OpenBao at \(a) denied reading \(p) (403): this login's policies do not allow the path"
        case .missingPath(let a, let p): return "no secret at \(p) on OpenBao at \(a) (404)"
        case .missingField(let p, let f, let names):
            let have = names.isEmpty ? "it has no fields" : "its fields are \(names.sorted().joined(separator: ", "))"
            return "the secret \(p) has no field '\(f)' (\(have))"
        case .fieldNotText(let p, let f): return "the field '\(f)' of \(p) is a list or a map, not a string"
        case .server(let a, let status, let errors): return "OpenBao at \(a) answered HTTP \(status)\(errors.isEmpty ? "" : ": \(errors)")"
        case .configuration(let why): return why
        case .noCardCertificate: return "the card's certificate does not parse as X.509"
        case .plainHTTP(let a): return ServerAddress.plainHTTPRefusal(a)
        case .otherServer(let key, let a, let login?, _):
            return "\(key) names OpenBao at \(a), but the login of this owner is configured for \(login) and is sent nowhere else; nothing was sent to \(a)"
        case .otherServer(let key, let a, nil, _):
            return "\(key) names OpenBao at \(a), but the login of this owner is configured for no server, so it is sent to none; nothing was sent"
        }
    }

    /// What to do next, in terms of the server, its address, the secret and the usual tools: a
    /// program built on this module words its own commands and options (keyrack's CLI does, in
    /// OpenBaoError+Text.swift).
    public var remedy: String? {
        switch self {
        case .unreachable: return "check the address (BAO_ADDR or VAULT_ADDR) and that the server runs"
        case .timeout: return "check the server and the network, or raise VAULT_CLIENT_TIMEOUT"
        case .closed: return "check the server's health and try again"
        case .tls, .configuration, .plainHTTP: return nil
        case .untrustedCertificate: return "pass the cluster's CA (BAO_CACERT or VAULT_CACERT)"
        case .hostMismatch(_, let host):
            return "use the host name (or IP) its certificate names in the address, or have the server's certificate issued for \(host)"
        case .sealed: return "ask an operator to unseal it (bao operator unseal), then unlock again"
        case .loginRefused(let m, _, _): return OpenBaoError.loginAdvice(m)
        case .forbidden: return "ask the operator for read on it, or fix the secret's path"
        case .missingPath(_, let p): return "check the secret's MOUNT/PATH (bao kv get \(p))"
        case .missingField: return "fix the secret's #FIELD"
        case .fieldNotText: return "point the key at a text field"
        case .server: return "check the server's log"
        case .noCardCertificate: return "put a certificate in the slot"
        case .otherServer(_, let a, let login?, _): return "point the key at \(login), or make \(a) the owner's server"
        case .otherServer(_, let a, nil, _): return "make \(a) the owner's server"
        }
    }

    static func loginAdvice(_ method: String) -> String {
        switch method {
        case "cert": return "check that the operator trusts this card's certificate (bao write auth/cert/certs/NAME certificate=@cert.pem)"
        case "approle": return "check the role_id and secret_id keys (a secret_id may have expired or been used up)"
        case "jwt": return "check that the role's bound_audiences, bound_claims and the mount's keys (jwt_validation_pubkeys or jwks_url) match the JWT (bao read auth/jwt/role/ROLE)"
        default: return "log in again (bao login) or set BAO_TOKEN"
        }
    }
}
