import KeyrackApp
import KeyrackClient

/// `exec --sandbox --unlock`: an unlock that failed has said why; this line says the sandbox
/// was not started, with the unlock's own exit code.
extension SandboxUnlock.Failure: CLIReportable {
    public var cliMessage: String { self == .needsEnv ? "error: --unlock needs --env: which keys to unlock: add --env ENV, or unlock first" : "error: \(problem): \(fix)" }
    public var exitCode: Int32 {
        switch self {
        case .unlockFailed(let status): status
        case .needsEnv: ExitStatus.usage
        case .cannotRun: ExitStatus.failure
        }
    }
}
