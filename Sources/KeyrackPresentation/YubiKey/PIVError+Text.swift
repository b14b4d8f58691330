import KeyrackClient
import PIV

/// Card problems are exit 5 (docs/cli.md, "Exit codes"); a PIN or slot of the wrong shape is a usage error.
extension PIVError: CLIReportable {
    public var cliMessage: String { "error: \(cliErrorLine.text)" }
    public var fixCommand: String? { cliErrorLine.fix }
    public var exitCode: Int32 { isShapeError ? ExitStatus.usage : ExitStatus.card }
    private var isShapeError: Bool { if case .invalidPIN = self { true } else if case .invalidSlot = self { true } else { false } }

    /// The problem, and what to do in keyrack's own commands and options where PIV's generic
    /// remedy would not say.
    private var cliErrorLine: ErrorLine {
        guard let next = keyrackRemedy ?? remedy.map({ ErrorLine(text: $0, fix: nil) }) else { return ErrorLine(text: problem, fix: nil) }
        return "\(problem): \(line: next)"
    }

    private var keyrackRemedy: ErrorLine? {
        switch self {
        case .multipleCards: return "choose one with --serial"
        case .pinBlocked: return "unblock it with the PUK, \(fix: "keyrack yubikey unblock-pin") (add --serial N when several cards are plugged in), then retry"
        case .pinRequired: return "run from a terminal, or pass it on stdin where the command offers --pin-stdin"
        case .slotEmpty: return "run \(fix: "keyrack yubikey setup") to make one"
        case .slotInUse: return "pick another --slot, or omit --slot to use the first free one"
        case .unsupportedKey: return "use a slot made by \(fix: "keyrack yubikey setup") or age-plugin-yubikey"
        case .needsFirmware: return "use the default P-256 key (--algorithm p256), or a YubiKey 5 with firmware 5.7+"
        case .cardError: return "re-plug the card and retry; if it persists, check the slot with \(fix: "keyrack yubikey list")"
        default: return nil
        }
    }
}
