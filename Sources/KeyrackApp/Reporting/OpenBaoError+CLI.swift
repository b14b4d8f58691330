import KeyrackClient
import KeyrackOpenBao

/// OpenBaoError's remedies in keyrack's options and commands (the library's own remedy names
/// only the server, the address and the usual tools). The conformance is in OpenBaoFetch.swift.
extension OpenBaoError {
    public var fixCommand: String? { cliLine.fix }

    var cliLine: ErrorLine {
        switch self {
        case .unreachable: return "\(problem); check the address (--openbao-addr, BAO_ADDR or VAULT_ADDR) and that the server runs"
        case .timeout, .loginRefused, .server: return ErrorLine(text: "\(problem); \(remedy ?? "")", fix: nil)
        case .hostMismatch(_, let host):
            return "\(problem); use the host name (or IP) its certificate names in --openbao-addr, or have the server's certificate issued for \(host) (its CA passed with --openbao-cacert)"
        case .forbidden: return "\(problem); ask the operator for read on it, or fix --exid"
        case .missingPath(_, let p): return "\(problem): check --exid MOUNT/PATH (bao kv get \(p))"
        case .missingField: return "\(problem): fix the #FIELD of --exid"
        case .fieldNotText: return "\(problem): point --exid at a text field"
        case .noCardCertificate: return "\(problem): put a certificate in the slot with \(fix: "keyrack yubikey setup")"
        case .otherServer(_, let a, let login?, let owner):
            return "\(problem): point the key at \(login) (\(fix: "keyrack set\(Fix.ownerFlag(owner)) --openbao-addr \(login) …")) or make \(a) the owner's server (\(fix: "keyrack set-default\(Fix.ownerFlag(owner)) --openbao-addr \(a)"))"
        case .otherServer(_, let a, nil, let owner):
            return "\(problem): make \(a) the owner's server (\(fix: "keyrack set-default\(Fix.ownerFlag(owner)) --openbao-addr \(a)"))"
        default: return ErrorLine(text: description, fix: nil)
        }
    }
}
