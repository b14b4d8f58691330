import ArgumentParser
import KeyrackApp
import KeyrackClient
import KeyrackCore

/// `keyrack sandbox require|release`: whether an owner's values go only to its sandboxes
/// (`exec --sandbox`), recorded in its encrypted manifest. `init --sandboxed` sets it at birth.
struct SandboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Require (or stop requiring) that an owner's values go only to its sandboxes.",
        subcommands: [SandboxRequireCommand.self, SandboxReleaseCommand.self]
    )
}

struct SandboxRequireCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "require",
        abstract: "Give the owner's values only to programs run with keyrack exec --for OWNER --sandbox.",
        discussion: "Recorded in the owner's encrypted manifest; a running daemon is told at once.")

    @OptionGroup var options: OwnerOptions
    @OptionGroup var identity: IdentityOptions

    func run() throws { try SandboxCommand.set(true, options: options, identity: identity) }
}

struct SandboxReleaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Let the owner's values go to unsandboxed programs again (from the daemon's next start).",
        discussion: "A running daemon keeps requiring the sandbox until it stops: run keyrack daemon stop, then unlock.")

    @OptionGroup var options: OwnerOptions
    @OptionGroup var identity: IdentityOptions

    func run() throws { try SandboxCommand.set(false, options: options, identity: identity) }
}

extension SandboxCommand {
    static func set(_ required: Bool, options: OwnerOptions, identity: IdentityOptions) throws {
        let owner = try options.ownerName()
        let store = try HostManifestStore.fromEnvironment()
        let identities = try identity.identities(owner, store: store)
        let outcome = try SandboxRequirement.set(required, owner: owner, store: store, identities: identities)
        if options.json {
            JSONLine.print(SandboxJSON(outcome))
            return
        }
        let state = required ? "go only to its sandboxes (keyrack exec --for \(owner.value) --sandbox)" : "may go to unsandboxed programs"
        print("keyrack sandbox: the values of '\(owner.value)' \(state)\(outcome.unchanged ? " (unchanged)" : "")")
        if required && outcome.daemonRunning { print("  its running daemon was told and enforces it now") }
        if !required && outcome.daemonRunning {
            print("  its running daemon keeps requiring the sandbox until it stops: keyrack daemon stop\(Fix.ownerFlag(owner.value))")
        }
    }
}

/// How `exec --sandbox` reports a sandbox that could not be built or joined: problem and fix.
extension SandboxError: CLIReportable {
    public var cliMessage: String { "error: \(problem): \(cliFix.text)" }
    public var fixCommand: String? { cliFix.fix }

    /// The remedy in keyrack's own commands and options.
    var cliFix: ErrorLine {
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
