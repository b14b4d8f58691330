import KeyrackApp
import KeyrackClient

/// Doctor's remedies in keyrack's own commands: the library says what fixes a finding, the CLI
/// how to type it, in its text and in `doctor --json`'s `fix` alike.
extension DoctorRemedy {
    var cli: String {
        switch self {
        case .outside(let text): return text
        case .initialise(let o): return "keyrack init\(Fix.ownerFlag(o)) --via yubikey (or --via tpm / --via ssh / --via age)"
        case .restoreRecipients(let o, let path): return "restore \(path) from a backup, or re-run `keyrack init\(Fix.ownerFlag(o))`"
        case .recordTheCard(let o): return "keyrack recipient list\(Fix.ownerFlag(o)), then re-run keyrack init\(Fix.ownerFlag(o)) --via yubikey"
        case .plugInOrUseBackup(let o, let serial): return "plug in YubiKey \(serial), or unlock with a backup: keyrack unlock\(Fix.ownerFlag(o)) --using ssh --env ENV"
        case .recoverWithBackup(let o): return "the slot was overwritten: recover with a backup recipient (keyrack unlock\(Fix.ownerFlag(o)) --using ssh) and re-init"
        case .checkTheCard(let o, let serial): return "keyrack yubikey list, and re-run keyrack init\(Fix.ownerFlag(o)) --via yubikey --serial \(serial)"
        case .changeFactory(let secret, let serial):
            return "keyrack yubikey change-\([.pin: "pin", .puk: "puk", .managementKey: "management-key"][secret]!) --serial \(serial)"
        case .replugAndCheckAgain(let o, let serial): return "re-plug YubiKey \(serial) and run keyrack doctor\(Fix.ownerFlag(o)) again"
        case .initialiseMakesIt(let o): return "keyrack init\(Fix.ownerFlag(o)) creates it"
        case .stopTheDaemon(let o, let stale):
            return "keyrack daemon stop\(Fix.ownerFlag(o)) " + (stale ? "(clears the stale socket); the next unlock starts a fresh one" : "(stops it through its pid file and wipes its keys)")
        case .pinOnceForRobots:
            return "give robots a PIN-once slot and `keyrack unlock --pin-file` (keyrack resets the card after each PIN use here; docs/security-model.md); a PIN-never slot stays every local user's while plugged in: unplug cards not in use, or run a pcscd built with polkit"
        case .restoreTPMIdentity(let o): return "restore the identity file, or unlock with a backup recipient: keyrack unlock\(Fix.ownerFlag(o)) --using ssh"
        case .initialiseHere(let o): return "re-run keyrack init\(Fix.ownerFlag(o)) on this machine"
        }
    }
}

extension DoctorJSON {
    /// `doctor --json` of these checks, each fix worded as the text shows it.
    public init(owner: String, checks: [DoctorCheck]) {
        self.init(owner: owner, checks: checks.map { Check(name: $0.name, status: $0.status.rawValue, detail: $0.detail, fix: $0.fix?.cli) })
    }
}
