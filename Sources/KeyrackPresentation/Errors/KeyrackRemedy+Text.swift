import KeyrackClient
import KeyrackCore

/// KeyrackCore's remedies in keyrack's own commands: the library says what to do, the CLI how
/// to type it. Each marks its command (ErrorLine), which `--json` reports as `fix`.
extension KeyrackError.Remedy {
    public var cliLine: ErrorLine {
        switch self {
        case .initialise(let owner):
            return "\(line: Fix.initialise(owner: owner)) first"
        case .migrate(let owner, let orStartEmpty):
            return "run \(fix: "keyrack migrate\(Fix.ownerFlag(owner))") to carry its keys over\(orStartEmpty ? " (to start empty instead, move that file away first)" : "")"
        case .giveIdentityOrAddRecipient(let environment):
            let give = environment ? "pass --identity PATH (or set KEYRACK_IDENTITY=PATH or KEYRACK_IDENTITY_FD=N)" : "pass --identity PATH"
            return "\(give), or add a recipient whose key is here with \(fix: "keyrack recipient add")"
        case .giveIdentity:
            return "pass --identity PATH with the matching private key or identity file"
        case .addAnotherRecipient(let owner):
            return "add another with \(fix: "keyrack recipient add --for \(owner)") first"
        case .restoreRecipients(let owner):
            return "restore it, or re-add recipients with \(fix: "keyrack recipient add --for \(owner)")"
        case .restoreOrReinitialise(let owner):
            return "restore it from a backup, or move it away and run \(fix: "keyrack init --for \(owner)")"
        case .nameTheOrg:
            return "add `org: <your-org>` or pass --org"
        default: return settingLine
        }
    }
}
