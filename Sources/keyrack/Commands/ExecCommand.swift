import ArgumentParser
import KeyrackApp
import KeyrackDaemon
import KeyrackNames
import KeyrackClient

/// `keyrack exec`: runs a program with the owner's granted keys in its environment. No shell
/// is involved (the program is exec'd directly, found on PATH like `env` finds it), so nothing
/// is re-parsed, and keyrack is replaced by the program: its exit code is the program's.
struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command with an owner's unlocked keys in its environment.",
        discussion: """
        Example: keyrack exec --for seaturtle --env sudo --key GITHUB_TOKEN -- gh auth status
        Without --key: the keys .agent/keyrack.yml lists for the env, or outside a repository \
        every unlocked key of the env. Fails (exit 3) before running anything if one is not granted.

        An --env-file names the variables itself, one NAME=keyrack://ORG.ENV.KEY (or plain \
        NAME=value) per line, so any key can be passed under any name: keyrack exec --env-file \
        .env.keyrack -- make deploy. With --mask, a granted value the program prints (on \
        stdout or stderr), or any line of a multi-line one, is replaced by <concealed by keyrack>: \
        best-effort, as a value it encodes, transforms or writes to /dev/tty or a file passes in \
        clear. The program still holds the values; not handing them over at all is the keycard \
        proxy's job: exec --proxy, below.

        With --sandbox, the program runs in a bubblewrap sandbox keyrack builds: new user, pid, \
        mount and IPC namespaces and session; the host read-only, the workdir read-write, the \
        home an empty tmpfs (--share binds paths back read-only), /tmp private; KEYRACK_HOME, \
        ~/.ssh, every owner's identity files, $XDG_RUNTIME_DIR, /run/pcscd hidden; only the \
        owner's daemon socket shown. See docs/robots.md.

        With --proxy (keycards, not keys), the program never holds a value: each key reaches it \
        as a placeholder of the same shape (a ghs_ token stays ghs_ and as long), and a proxy \
        keyrack runs for this run only (127.0.0.1, HTTPS_PROXY and friends set, its own CA made \
        in memory and trusted through SSL_CERT_FILE, CURL_CA_BUNDLE, REQUESTS_CA_BUNDLE, \
        NODE_EXTRA_CA_CERTS, GIT_SSL_CAINFO, AWS_CA_BUNDLE) puts the value back only into requests to the hosts \
        the key may be sent to (keyrack set … --send-to api.github.com). Anywhere else the \
        placeholder travels and leaks nothing. Real servers are checked against SSL_CERT_FILE as \
        you had it, or the system's CAs, plus --upstream-cacert. Example: keyrack set --env prod \
        --key GITHUB_TOKEN --vault os.secure --send-to api.github.com, then keyrack exec --env prod \
        --key GITHUB_TOKEN --proxy -- gh api user. Works with --sandbox too. AWS: pass AWS_ACCESS_KEY_ID, \
        AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN; requests the aws CLI signs with the \
        placeholders are checked and re-signed (SigV4) with the real keys.
        """
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

/// exec's refusals in its options' words.
extension ExecRequest.Problem {
    var cliText: String {
        switch self {
        case .noCommand: "no command given: put it after --, e.g. keyrack exec --env test -- make deploy"
        case .nothingToPass: "give --env ENV or --env-file FILE: which keys to pass (with --sandbox, neither: the program asks with keyrack get)"
        case .invalidEnv(let env): "invalid --env '\(env)'"
        case .keysNeedEnv: "--key needs --env (in an env file, name keys as keyrack://ORG.ENV.KEY)"
        case .needsSandbox: "--workdir, --share and --unlock need --sandbox"
        case .unlockNeedsEnv: "--unlock needs --env: which keys to unlock"
        case .maskInSandbox: "--mask and --sandbox cannot be combined yet: choose one"
        case .upstreamCANeedsProxy: "--upstream-cacert needs --proxy"
        case .proxyNeedsEnv: "--proxy needs --env ENV (and --key K …): which keys to hand out as placeholders"
        case .proxyWithEnvFile: "--proxy and --env-file cannot be combined yet: name the keys with --env and --key"
        case .proxyWithMask: "--proxy and --mask cannot be combined: under --proxy the program holds no value to mask"
        }
    }
}

/// A program that could not be started: exit 127 (not found) or 126, as a shell says.
extension ChildProcessError: CLIReportable {
    public var cliMessage: String { "error: \(message)" }
}

/// The keycard proxy's failures, their remedies in exec's options.
extension ExecProxyError: CLIReportable {
    public var cliMessage: String { "error: \(problem): \(cliFix)" }
    public var exitCode: Int32 { ExitStatus.failure }

    var cliFix: String {
        switch self {
        case .unreadableCA: "give a readable PEM file (SSL_CERT_FILE, --upstream-cacert)"
        case .proxyFailed: "check that SSL_CERT_FILE and --upstream-cacert name PEM certificate files, then retry"
        case .noPlaceholder: "pass this key without --proxy, or leave it out with --key"
        case .tempDirectory: fix
        }
    }
}
