import KeyrackClient
import KeyrackCore

/// A card-signed JWT that could not be made: the slot needs a P-256 key, which `yubikey setup`
/// puts there.
extension CardJWT.Failure: CLIReportable {
    public var cliMessage: String { "error: \(problem) (keyrack yubikey setup --slot 9a)" }
    public var exitCode: Int32 { ExitStatus.card }
}

/// No ID token means nothing was granted (exit 3), whatever the reason; the line says which.
extension GitHubActionsIDToken.Failure: CLIReportable {
    public var cliMessage: String {
        "error: " + (remedy == .anotherOpenBaoLogin ? "\(problem) (outside Actions use another login: keyrack set-default --openbao-login cert|approle|token)" : problem)
    }
    public var exitCode: Int32 { ExitStatus.notGranted }
}
