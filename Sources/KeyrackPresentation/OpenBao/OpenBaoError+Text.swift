import KeyrackApp
import KeyrackClient
import KeyrackOpenBao

/// OpenBao's errors as the CLI reports them: the server answered no (missing path or field,
/// sealed, 403, a refused login) is "not granted", exit 3; no answer at all is exit 1; an
/// address refused as configured is exit 2. The remedies in keyrack's options and commands
/// (the library's own name only the server, the address and the usual tools).
extension OpenBaoError: CLIReportable {
    public var cliMessage: String { "error: \(cliLine.text)" }
    public var fixCommand: String? { cliLine.fix }
    public var exitCode: Int32 { isRefusedConfiguration ? ExitStatus.usage : isUnreachable ? ExitStatus.failure : ExitStatus.notGranted }

    var cliLine: ErrorLine {
        switch self {
        case .unreachable: return "\(problem); check the address (--openbao-addr, BAO_ADDR or VAULT_ADDR) and that the server runs"
        case .timeout, .loginRefused, .server: return ErrorLine(text: "\(problem); \(remedy ?? "")", fix: nil)
        case .untrustedCertificate: return "\(problem): pass the cluster's CA with --openbao-cacert (or VAULT_CACERT)"
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

/// An owner's OpenBao set-up that cannot serve the unlock, its remedy in `set` and `set-default`'s options.
extension OpenBaoSetupError: CLIReportable {
    public var cliMessage: String { "error: \(problem): \(cliLine.text)" }
    public var fixCommand: String? { cliLine.fix }
    public var exitCode: Int32 { [.usage: ExitStatus.usage, .notGranted: ExitStatus.notGranted, .failure: ExitStatus.failure][kind]! }

    var cliLine: ErrorLine {
        let set = "keyrack set\(Fix.ownerFlag(owner))", setDefault = "keyrack set-default\(Fix.ownerFlag(owner))"
        switch remedy {
        case .giveAddress: return "give it with \(fix: "keyrack set --openbao-addr URL …"), `\(setDefault) --openbao-addr URL`, or export BAO_ADDR"
        case .logIn: return "run `bao login` or export BAO_TOKEN, or configure one with \(fix: "\(setDefault) --openbao-login cert|approle")"
        case .nameAppRoleKeys: return "\(fix: "\(setDefault) --openbao-role-id-key SLUG --openbao-secret-id-key SLUG")"
        case .storeAppRoleKey: return "\(fix: "\(set) --vault os.secure …") it"
        case .chooseLoginSlot: return "\(remedy.words) (\(setDefault) --openbao-slot 9a)"
        case .setLeaseRole: return "\(fix: "\(setDefault) --openbao-lease-role ROLE") (see docs/openbao.md)"
        case .useGitHubOIDCLogin: return "\(fix: "\(setDefault) --openbao-login jwt --openbao-jwt-source github --openbao-jwt-role ROLE")"
        case .makeCertificate(let slot): return "create one with \(fix: "keyrack yubikey setup --slot \(slot)")"
        }
    }
}
