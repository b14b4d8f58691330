import ArgumentParser
import KeyrackDaemon

/// `keyrack source`: prints `export NAME='value'` lines for `eval "$(keyrack source …)"`.
/// Values are single-quoted, which keeps every byte literal in any POSIX shell; names are
/// checked to be shell identifiers so no key name can inject a command.
struct SourceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "source",
        abstract: "Print shell export lines for an owner's unlocked keys.",
        discussion: """
        Usage: eval "$(keyrack source --env test)". Prefer `keyrack exec`, which puts no value \
        in your shell. Prints nothing and exits 3 if any requested key is not granted.
        """
    )

    @OptionGroup var options: OwnerOptions

    @Option(help: ArgumentHelp("The env whose keys to export.", valueName: "env"))
    var env: String

    @Option(name: .customLong("key"), help: ArgumentHelp("A key to export (repeatable). Default: the repo's keys for the env, or every unlocked key of it.", valueName: "key"))
    var keys: [String] = []

    @Flag(help: "Export values that look like long-lived tokens (ghp_, AKIA, …), and the --key names that change a shell or loader (BASH_ENV, LD_*, PATH, …).")
    var allowDangerous = false

    func validate() throws {
        guard GrantSlug.isEnvName(env) else { throw ValidationError("invalid --env '\(env.prefix(40))'") }
    }

    func run() throws {
        var values = try DaemonCommandSupport.fetch(owner: options.owner, env: env, names: keys, allowDangerous: allowDangerous)
        var out: [UInt8] = []
        for i in values.indices {
            out += Array("export \(values[i].name)=".utf8) + TextFormat.shellQuoted(values[i].value) + [0x0a]
            zeroize(&values[i].value)
        }
        Output.write(out)
        zeroize(&out)
    }
}
