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

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("no command given: put it after --, e.g. keyrack exec --env test -- make deploy") }
        if env == nil && envFiles.isEmpty && !sandbox { throw ValidationError("give --env ENV or --env-file FILE: which keys to pass (with --sandbox, neither: the program asks with keyrack get)") }
        if let env, !NameRules.isValidEnv(env) { throw ValidationError("invalid --env '\(env.prefix(40))'") }
        if env == nil && !keys.isEmpty { throw ValidationError("--key needs --env (in an env file, name keys as keyrack://ORG.ENV.KEY)") }
        if !sandbox && (workdir != nil || !shares.isEmpty || unlock) { throw ValidationError("--workdir, --share and --unlock need --sandbox") }
        if unlock && env == nil { throw ValidationError("--unlock needs --env: which keys to unlock") }
        if sandbox && mask { throw ValidationError("--mask and --sandbox cannot be combined yet: choose one") }
        if !proxy && !upstreamCACerts.isEmpty { throw ValidationError("--upstream-cacert needs --proxy") }
        if proxy {
            if env == nil { throw ValidationError("--proxy needs --env ENV (and --key K …): which keys to hand out as placeholders") }
            if !envFiles.isEmpty { throw ValidationError("--proxy and --env-file cannot be combined yet: name the keys with --env and --key") }
            if mask { throw ValidationError("--proxy and --mask cannot be combined: under --proxy the program holds no value to mask") }
        }
    }

    func run() throws {
        if proxy, !sandbox, let env {
            do {
                Terminal.exit(try ExecProxy.run(.init(owner: options.owner, env: env, keys: keys, allowDangerous: allowDangerous,
                                                      upstreamCACerts: upstreamCACerts, command: command)))
            } catch let error as ExecProxyError {
                throw CommandFailure(error.description)
            } catch let error as ChildProcessError {
                throw CommandFailure(error.message, exitCode: error.exitCode)
            }
        }
        if sandbox {
            // The keys are fetched inside, by keyrack's own plain exec as the sandbox's first
            // process (SandboxExec.innerCommand): a sandboxed owner's daemon serves only there.
            if unlock {
                try SandboxUnlock.run(try SandboxUnlock.invocations(owner: options.owner, env: env, keys: keys),
                                      keyrack: DaemonLauncher.currentExecutable())
            }
            let keys = SandboxExec.Keys(env: env, names: self.keys, envFiles: envFiles, allowDangerous: allowDangerous,
                                        proxy: proxy, upstreamCACerts: upstreamCACerts)
            Terminal.exit(try SandboxExec.run(.init(owner: options.owner, workdir: workdir, shared: shares, keys: keys, command: command)))
        }
        var values = try ExecEnvironment.values(owner: options.owner, env: env, keys: keys, envFiles: envFiles, allowDangerous: allowDangerous)
        try PlainExec.run(&values, command: command, mask: mask)
    }
}
