import KeyrackClient
import KeyrackCore
import KeyrackClient

/// No ID token means nothing was granted (exit 3), whatever the reason; the line says which.
extension GitHubActionsIDToken.Failure: CLIReportable {
    public var cliMessage: String {
        "error: " + (remedy == .anotherOpenBaoLogin ? "\(problem) (outside Actions use another login: keyrack set-default --openbao-login cert|approle|token)" : problem)
    }
    public var exitCode: Int32 { ExitStatus.notGranted }
}
