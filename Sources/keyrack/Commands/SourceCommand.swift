import ArgumentParser
import KeyrackHelp
import KeyrackApp
import KeyrackOutput
import SecretBytes
import KeyrackClient
import KeyrackPresentation

/// `keyrack source`: prints `export NAME='value'` lines for `eval "$(keyrack source …)"`, or the
/// same variables for fish, a dotenv file, JSON or a GitHub Actions job (SourceFormat). Names are
/// checked to be shell identifiers so no key name can inject a command.
struct SourceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "source",
        abstract: "Print shell export lines for an owner's unlocked keys.",
        discussion: Help.source
    )

    @OptionGroup var options: OwnerOptions

    @OptionGroup var envOption: EnvOption
    @OptionGroup var keysOption: KeysOption
    private var env: String { envOption.env }
    private var keys: [String] { keysOption.keys }

    @Option(help: ArgumentHelp("What to print (default: sh; --json means json):", valueName: "format"))
    var format: SourceFormat?

    @Flag(help: "Export the keys that are granted and leave out (with a note on stderr) those that are not, instead of printing nothing and exiting 3.")
    var lenient = false

    @Flag(help: "The default: print nothing and exit 3 if any requested key is not granted (the TypeScript keyrack's flag; excludes --lenient).")
    var strict = false

    @Flag(help: "Export values that look like long-lived tokens (ghp_, AKIA, …), and the --key names that change a shell or loader (BASH_ENV, LD_*, PATH, …).")
    var allowDangerous = false

    func validate() throws {
        if strict && lenient { throw ValidationError("--strict and --lenient exclude each other: give one") }
        if options.json, let format, format != .json { throw ValidationError("--json is --format json: drop one of --json and --format \(format.rawValue)") }
    }

    func run() throws {
        var result = try SourceExport.run(format ?? (options.json ? .json : .sh)) {
            // KeyrackClient's ValueFetch, the one client path of get and exec too (allowlist,
            // verified daemon, firewall, dangerous names).
            try ValueFetch(owner: options.owner, allowDangerous: allowDangerous).environment(env: env, keys: keys, lenient: lenient)
        }
        defer { zeroize(&result.stdout) }
        Output.write(result.stdout)
        if let line = result.gitHubEnvLine { Terminal.printError(line) }
    }
}
