import KeyrackClient
import KeyrackCore

/// The remedies that name a key's settings, in keyrack's options (KeyrackRemedy+Text words the
/// others): the library says which setting and what to do, the CLI how to type it.
extension KeyrackError.Setting {
    var flag: String {
        switch self {
        case .openBaoCluster: return "--openbao-addr and --openbao-cacert"
        case .postQuantum: return "--pq"
        case .exid, .mech, .region, .account, .repositories, .permissions, .org: return "--\(self)"
        }
    }
}

extension KeyrackError.Remedy {
    var settingLine: ErrorLine {
        switch self {
        case .give(.postQuantum, _): return "add --pq, or use a classic age1… key"
        case .give(let setting, let form): return "pass \(setting.flag) \(form)"
        case .drop(.org): return "drop --org, or use --org @all for a machine-wide key"
        case .drop(.postQuantum): return "drop --pq: post-quantum and classic keys never mix in one manifest"
        case .drop(let setting): return "drop \(setting.flag)"
        case .setAgain(let setting?, let form): return "set it again with \(setting.flag) \(form)"
        case .setAgain(nil, _): return "set it again with \(fix: "keyrack set")"
        case .check(let settings): return "check \(settings.map(\.flag).joined(separator: " and "))"
        case .vaultFor(.ephemeralViaOpenBaoLease):
            return "pass --vault openbao --exid MOUNT/creds/ROLE#FIELD (a dynamic secret, read with the token role of keyrack set-default --openbao-lease-role ROLE)"
        case .vaultFor(.ephemeralViaGithubOidc):
            return "pass --vault openbao (read with the GitHub Actions job's ID token: keyrack set-default --openbao-login jwt --openbao-jwt-role ROLE) or --vault aws.config --exid PROFILE (the profile's role_arn assumed with it)"
        case .vaultFor(.ephemeralViaAwsSso): return "pass --vault aws.config --exid PROFILE"
        case .vaultFor(.ephemeralViaGithubApp): return "pass --vault os.secure (the app's id, installation and key, kept in the manifest) or --vault 1password"
        case .giveRegion: return "store one with `keyrack set … --region REGION`, or set AWS_REGION or the profile's region"
        case .giveAPIN: return "give one, or use --pin-policy never"
        case .keyFor(.ssh): return "--via ssh takes an OpenSSH public key (ssh-ed25519 AAAA… or ssh-rsa AAAA…)"
        case .keyFor(.age): return "--via age takes an age1… (or age1pq1… with --pq) recipient; use --via ssh for ssh keys, --via yubikey for age1yubikey1… and age1tag1…"
        default: return ErrorLine(text: words, fix: nil)
        }
    }
}

extension LockedReason {
    /// Why the key stays locked, as `unlock` says it on stderr and in `--json`'s `reason`.
    var cliText: String { remedy.map { "\(problem): \($0.cliLine.text)" } ?? problem }
}

extension UnlockPlan.Cap {
    var cliText: String { self == .sudo ? "30m (the cap of sudo keys; set --max-duration on the key to allow more)" : description }
}
