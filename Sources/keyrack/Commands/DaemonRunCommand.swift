import ArgumentParser
import KeyrackApp
import KeyrackPresentation
#if canImport(Glibc)
import Glibc
#endif

/// `keyrack daemon run`: serve one owner's grants in the foreground until stopped, signalled, or
/// idle with nothing unlocked. Normally started by `unlock` in its own session.
struct DaemonRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an owner's daemon in the foreground."
    )

    @OptionGroup var options: OwnerOptions

    @Option(help: ArgumentHelp("Exit after this long with no grants and no requests (e.g. 15m); 0 = never. Default: $KEYRACK_DAEMON_IDLE_SECONDS or 15m.", valueName: "duration"))
    var idleTimeout: String?

    @Option(help: ArgumentHelp("The Unix uid the owner is pinned to; only it may connect. Default: this process's uid.", valueName: "uid"))
    var uid: UInt32?

    func run() throws {
        let owner = try options.ownerName()
        try DaemonServe.run(owner: owner, allowedUID: uid ?? geteuid(), idleTimeout: idleTimeout, manifestRemedy: AppWords.ownManifestRemedy(owner.value))
    }
}
