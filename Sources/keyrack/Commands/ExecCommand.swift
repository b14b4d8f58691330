import ArgumentParser
import KeyrackHelp
import KeyrackApp
import KeyrackDaemon
import KeyrackNames
import KeyrackClient
import KeyrackPresentation

/// `keyrack exec`: runs a program with the owner's granted keys in its environment. No shell
/// is involved (the program is exec'd directly, found on PATH like `env` finds it), so nothing
/// is re-parsed, and keyrack is replaced by the program: its exit code is the program's.
struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command with an owner's unlocked keys in its environment.",
        discussion: Help.exec
    )

    @OptionGroup var options: OwnerOptions

    @Option(help: ArgumentHelp("The env whose keys to pass (optional with --env-file).", valueName: "env"))
    var env: String?

    @OptionGroup var keysOption: KeysOption
    private var keys: [String] { keysOption.keys }

    @Option(name: .customLong("env-file"), help: ArgumentHelp("A file of NAME=keyrack://ORG.ENV.KEY and NAME=value lines to pass (repeatable).", valueName: "path"))
    var envFiles: [String] = []

    @Flag(help: "Best-effort: replace granted values (and each line of a multi-line one) in the program's stdout and stderr with <concealed by keyrack>.")
    var mask = false

    @Flag(help: "Pass values that look like long-lived tokens (ghp_, AKIA, …), and the --key names that change a shell or loader (BASH_ENV, LD_*, PATH, …).")
    var allowDangerous = false

    @Flag(help: "Run the program in a bubblewrap sandbox that reaches this owner's daemon and nothing else of keyrack's (see docs/robots.md).")
    var sandbox = false

    @Flag(help: "--sandbox: unlock the keys first, outside the sandbox (PIN and touch as for unlock).")
    var unlock = false

    @Option(help: ArgumentHelp("--sandbox: the directory the program may write, and starts in (default: the current one).", valueName: "dir"))
    var workdir: String?

    @Option(name: .customLong("share"), help: ArgumentHelp("--sandbox: a path of the home directory to show read-only inside (repeatable).", valueName: "path"))
    var shares: [String] = []

    @Flag(help: "Give the program placeholders, and put the values into its HTTPS requests to each key's --send-to hosts only, through a proxy of this run (see docs/robots.md).")
    var proxy = false

    @Option(name: .customLong("upstream-cacert"), help: ArgumentHelp("--proxy: a PEM file of a CA the real servers may be signed by, besides the system's (repeatable).", valueName: "path"))
    var upstreamCACerts: [String] = []

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command and its arguments, after --.", valueName: "command"))
    var command: [String] = []

    /// The options, typed for the app layer (ExecRequest holds the rules that tie them together).
    private var request: ExecRequest {
        var r = ExecRequest(command: command)
        (r.owner, r.env, r.keys, r.envFiles, r.mask, r.allowDangerous) = (options.owner, env, keys, envFiles, mask, allowDangerous)
        (r.sandbox, r.unlock, r.workdir, r.shares, r.proxy, r.upstreamCACerts) = (sandbox, unlock, workdir, shares, proxy, upstreamCACerts)
        return r
    }

    func validate() throws {
        do { try request.check() } catch let problem as ExecRequest.Problem { throw ValidationError(problem.cliText) }
    }

    func run() throws {
        Terminal.exit(try request.run(keyrack: DaemonLauncher.currentExecutable(), noDestination: AppWords.noDestination))
    }
}
