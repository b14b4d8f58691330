import KeyrackApp
import KeyrackClient

/// How `exec --sandbox` reports a sandbox that could not be built or joined: problem and fix.
extension SandboxError: CLIReportable {
    public var cliMessage: String { "error: \(problem): \(cliFix.text)" }
    public var fixCommand: String? { cliFix.fix }

    /// The remedy in keyrack's own commands and options.
    public var cliFix: ErrorLine {
        switch self {
        case .notBuilt: ErrorLine(text: "check that unprivileged user namespaces work (keyrack doctor says), then retry", fix: "keyrack doctor")
        case .badWorkdir: "give --workdir a project directory"
        case .ownerLocked(let owner): ErrorLine(text: "unlock the owner first (keyrack unlock --for \(owner) --env ENV)", fix: "keyrack unlock --for \(owner) --env ENV")
        default: ErrorLine(text: fix, fix: nil)
        }
    }
    public var exitCode: Int32 {
        switch self {
        case .ownerLocked: ExitStatus.notGranted
        case .registrationFailed: ExitStatus.denied
        default: ExitStatus.failure
        }
    }
}
