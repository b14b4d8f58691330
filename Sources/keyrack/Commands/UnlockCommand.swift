import ArgumentParser
import KeyrackHelp
import KeyrackApp
import KeyrackCore
import KeyrackClient
import KeyrackDaemon
import KeyrackPresentation

/// `keyrack unlock`: opens the owner's manifest once (one card operation for a YubiKey owner,
/// whatever the number of keys), fetches the selected keys from their vaults and hands them to
/// the owner's daemon, starting it if needed. Values never touch disk or stdout.
struct UnlockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Unlock an owner's keys of one env into its daemon for a while.",
        discussion: Help.unlock
    )

    @OptionGroup var options: OwnerOptions

    @Option(help: ArgumentHelp("The env to unlock (sudo, prod, prep, test, all, or custom).", valueName: "env"))
    var env: String?

    @Flag(help: "Also start the owner's identity agent, through which age clients decrypt (see `keyrack identity`).")
    var identityAgent = false

    @Option(help: ArgumentHelp("Unlock only this key: a bare name or a full slug (required for sudo).", valueName: "key"))
    var key: String?

    @Option(help: ArgumentHelp("How long the keys stay unlocked, e.g. 2h, 30m (default 30m for sudo, 9h otherwise).", valueName: "duration"))
    var duration: String?

    @Option(help: ArgumentHelp("Open the manifest with a recipient of this kind only (e.g. when the YubiKey is elsewhere).", valueName: "via"))
    var using: BackupVia?

    @Option(name: .customLong("identity"), help: ArgumentHelp("An identity file (ssh private key or age identity) to open the manifest with.", valueName: "path"))
    var identityPaths: [String] = []

    @OptionGroup var pin: PINOptions

    func validate() throws {
        if let problem = UnlockRequest.check(env: env, key: key, duration: duration, identityAgent: identityAgent) { throw ValidationError(problem.cliText) }
    }

    func run() throws {
        try UnlockArguments(owner: options.owner, json: options.json, env: env, identityAgent: identityAgent, key: key, duration: duration,
                            using: using, identityPaths: identityPaths, pin: pin.input).run()
    }
}
