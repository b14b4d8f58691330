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
        Hardening.apply()
        let request = UnlockRequest(owner: try options.ownerName(), env: env, key: key,
                                    durationSeconds: try duration.map { try KeyrackCore.Duration($0).seconds }, using: using?.via,
                                    identityPaths: identityPaths, pin: pin.input,
                                    identityAgent: identityAgent || env == nil)
        let result = try Unlock(store: try HostManifestStore.fromEnvironment(), events: { Terminal.printError(UnlockRendering.line($0)) }).run(request)
        UnlockRendering.render(result, json: options.json)
    }
}
