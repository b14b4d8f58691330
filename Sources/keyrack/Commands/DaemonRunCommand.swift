import ArgumentParser
import KeyrackDaemon
import KeyrackNames
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
        Hardening.apply()
        // Nothing this process inherited beyond stdio is ours to keep.
        for fd in 3..<256 { close(Int32(fd)) }

        let runtime = RuntimeDirectory.current()
        try runtime.prepare()
        let owner = options.owner
        var configuration = DaemonServer.Configuration(owner: owner, socketPath: runtime.socket(owner: owner),
                                                       pidPath: runtime.pidFile(owner: owner), allowedUID: uid ?? geteuid())
        configuration.idleExitMilliseconds = try idleMilliseconds()
        if let t = getenv("KEYRACK_DAEMON_CLIENT_TIMEOUT_MS").flatMap({ Int(String(cString: $0)) }), t > 0 {
            configuration.clientTimeoutMilliseconds = t
        }

        // Block the stop signals in every thread; this one waits for them below.
        var signals = sigset_t()
        sigemptyset(&signals)
        for s in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&signals, s) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)

        let server = DaemonServer(configuration: configuration)
        try server.start()
        var timeout = timespec(tv_sec: 0, tv_nsec: 200_000_000)
        while true {
            let s = sigtimedwait(&signals, nil, &timeout)
            if s > 0 {
                DaemonServer.standardErrorLog("signal \(s): stopping")
                server.stop()
                break
            }
            if server.isStopped { break }
        }
        server.waitUntilStopped()
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
