import ArgumentParser
import KeyrackApp
import KeyrackCore
import KeyrackPresentation

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
        options.answer(SandboxJSON(outcome)) { outcome.lines.forEach { print($0) } }
    }
}
