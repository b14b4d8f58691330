import KeyrackApp
import KeyrackClient
import KeyrackNames

/// KeyrackApp's smaller refusals, their remedies in keyrack's commands and options.
public enum AppWords {
    /// The identity agent's refusal of the owner's own manifest: its keys are unlock's and get's.
    public static func ownManifestRemedy(_ owner: String) -> String { "read its keys with `keyrack unlock\(Fix.ownerFlag(owner)) --env ENV` and `keyrack get`" }
    /// The keycard proxy's note on a key with no --send-to.
    @Sendable public static func noDestination(_ name: String) -> String {
        "keyrack: \(name) has no --send-to: the program gets a placeholder that no request will turn into the value (keyrack set … --send-to HOST)"
    }
}

/// `init --org` and a repository file it cannot use: a usage error (exit 2).
extension RepoFileInit.Failure: CLIReportable {
    public var cliMessage: String {
        if case .otherOrg = self { return "error: \(problem): edit its org: line by hand, or drop --org" }
        return "error: \(problem): fix or move the file, then run init --org again"
    }
    public var exitCode: Int32 { ExitStatus.usage }
}

/// No terminal to ask a secret on: the remedy names the command's stdin options.
extension SecretPrompt.NoTerminal: CLIReportable {
    public var cliMessage: String { "error: \(problem); pipe it on stdin where the command offers a --*-stdin option, or set KEYRACK_ASKPASS to a program that asks for it" }
    public var exitCode: Int32 { ExitStatus.usage }
}

/// `unlock` with nothing to unlock: exit 3, the remedy in `set`'s and `unlock`'s options.
extension NothingToUnlock: CLIReportable {
    public var cliMessage: String { "error: \(problem): \(line.text)" }
    public var fixCommand: String? { line.fix }
    public var exitCode: Int32 { ExitStatus.notGranted }
    private var line: ErrorLine {
        switch remedy {
        case .listInRepositoryOrNameOne(let env): return "add the key names to its env.\(env): section, or unlock one with --key KEY"
        case .setIt(let owner, let env, let key): return "add it with \(fix: Fix.set(owner: owner, env: env, key: key))"
        }
    }
}

/// The access log's next steps in `audit anchor`'s and `unlock`'s commands and options; each
/// wording brings its own separator after the problem.
extension AuditStep {
    var cli: String {
        switch self {
        case .anchorCard(let slot): return ": run `keyrack audit anchor --slot \(slot)` again"
        case .anchorTPM: return ": run `keyrack audit anchor --via tpm` again"
        case .restartDaemon: return " (an older daemon: `keyrack stop`, then unlock)"
        case .unlockWithThePIN: return " (--pin-file, --pin-stdin or a terminal): the next unlock with the PIN signs"
        case .anchorOnTheCard: return ": use `keyrack audit anchor --slot 9a` for a YubiKey owner"
        case .checkTheMachine: return ": check `keyrack doctor`"
        case .makeCardKey(let slot): return ": make one with `keyrack yubikey setup --slot \(slot)`"
        case .verifyWithoutTheManifest: return ": verify without --manifest"
        }
    }
}

extension AuditStepError: CLIReportable {
    public var cliMessage: String { "error: \(problem)\(step.cli)" }
    public var exitCode: Int32 { ExitStatus.failure }
}

extension DaemonServe.InvalidIdleTimeout: CLIReportable {
    public var cliMessage: String { "error: invalid --idle-timeout '\(text)': \(DurationGrammar.hint) (0 = never)" }
    public var exitCode: Int32 { ExitStatus.usage }
}
