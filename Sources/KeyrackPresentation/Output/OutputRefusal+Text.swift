import KeyrackClient
import KeyrackOutput

/// KeyrackOutput's refusals, their remedies in keyrack's options and commands.
extension OutputRefusal: CLIReportable {
    public var cliMessage: String { "error: \(cliLine.text)" }
    public var fixCommand: String? { cliLine.fix }
    public var exitCode: Int32 { [.failure: ExitStatus.failure, .usage: ExitStatus.usage, .refused: ExitStatus.notGranted][kind]! }
    public var errorCode: String { kind == .refused ? "refused" : ErrorReport.code(forExit: exitCode) }

    var cliLine: ErrorLine {
        switch remedy {
        case .shOrTheValueAlone: return "\(problem): use --format sh or keyrack get --value"
        case .inAStepOrAnotherFormat: return "\(problem): use it in a GitHub Actions step, or choose another --format"
        case .shJSONOrExec: return "\(problem): use --format sh (eval) or --format json, or keyrack exec, which writes no file"
        case .allowDangerous: return "\(problem); pass --allow-dangerous if you mean it"
        case .theValueAlone: return "\(problem): use \(fix: "keyrack get --value") instead"
        }
    }
}

/// `source --format`'s help on each value.
extension SourceFormat {
    public var help: String {
        switch self {
        case .sh: return "export NAME='value' lines, for eval \"$(keyrack source …)\" in sh, bash, zsh"
        case .fish: return "set -gx NAME 'value' lines, for keyrack source --format fish | source"
        case .dotenv: return "NAME=value lines that sh, python-dotenv and exec --env-file read back exactly; refuses a value none can (docker --env-file keeps quotes: use exec -- docker run -e NAME)"
        case .json: return "one JSON object {\"NAME\":\"value\",…} (the same as --json)"
        case .githubActions: return "::add-mask:: lines on stdout, and the variables appended to $GITHUB_ENV for the next steps"
        }
    }
}
