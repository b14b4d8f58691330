import ArgumentParser
import KeyrackApp
import KeyrackDaemon
import KeyrackClient
import KeyrackPresentation

/// `keyrack status`: what the owner's daemon holds: slugs, envs, vaults and expiry, never values.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show which keys of an owner are unlocked and until when (never their values)."
    )

    @OptionGroup var options: OwnerOptions

    @OptionGroup var filter: EnvFilterOption

    func run() throws {
        let owner = options.owner
        let r = try OwnerStatus.query(owner: owner, env: filter.env)
        options.answer(StatusJSON(owner: owner, socket: DaemonClient(owner: owner).socketPath, r)) { r.lines(owner: owner).forEach(Output.line) }
    }
}
