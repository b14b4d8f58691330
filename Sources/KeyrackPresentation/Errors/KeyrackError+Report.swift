import KeyrackClient
import KeyrackCore

/// KeyrackCore's errors as the CLI reports them (docs/cli.md, "Exit codes"): bad input is a usage error
/// (exit 2), a card problem exit 5, everything else (wrong identity, damaged file) exit 1.
extension KeyrackError: CLIReportable {
    public var cliMessage: String { cardFailure?.cliMessage ?? "error: \(cliLine.text)" }
    public var fixCommand: String? { cardFailure?.fixCommand ?? cliLine.fix }

    /// The problem, then the remedy in keyrack's own commands (KeyrackRemedy+Text).
    public var cliLine: ErrorLine { remedy.map { "\(problem): \(line: $0.cliLine)" } ?? ErrorLine(text: problem, fix: nil) }
    public var exitCode: Int32 {
        switch kind {
        case .usage: return ExitStatus.usage
        case .card: return ExitStatus.card
        case .wrongIdentity, .damaged, .failure: return ExitStatus.failure
        }
    }
    public var errorCode: String {
        switch kind {
        case .wrongIdentity: return "wrong-identity"
        case .damaged: return "damaged"
        default: return ErrorReport.code(forExit: exitCode)
        }
    }
}
