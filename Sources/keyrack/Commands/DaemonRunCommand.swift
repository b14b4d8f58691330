import KeyrackApp
import ArgumentParser
import KeyrackCore
import KeyrackDaemon
import KeyrackNames
import KeyrackOpenBao
import SecretBytes
#if canImport(Glibc)
import Glibc
import KeyrackClient
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
        // The agent refuses the owner's own manifest: it reads its header from the KEYRACK_HOME
        // the daemon was started with (none: nothing there to refuse, nothing there opens).
        let refusals = OwnManifestRefusal(owner: try options.ownerName(), home: try? KeyrackHome.fromEnvironment())
        try DaemonProcess.serve(owner: options.owner, allowedUID: uid ?? geteuid(), idleExitMilliseconds: try idleMilliseconds(),
                                agent: IdentityAgent(factory: AgentIdentities.factory, refusals: refusals), revoker: GrantRevokers.live,
                                renewer: GrantRenewers.live)
    }

    private func idleMilliseconds() throws -> UInt64? {
        var text = idleTimeout
        if text == nil, let env = getenv("KEYRACK_DAEMON_IDLE_SECONDS") { text = String(cString: env) + "s" }
        guard let text else { return 15 * 60 * 1000 }
        if text == "0" || text == "0s" { return nil }
        guard let seconds = DurationGrammar.seconds(text) else {
            throw UsageError("invalid --idle-timeout '\(text.prefix(40))': \(DurationGrammar.hint) (0 = never)")
        }
        return UInt64(seconds) * 1000
    }
}
