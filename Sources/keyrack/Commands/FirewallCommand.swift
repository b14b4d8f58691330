import ArgumentParser
import KeyrackHelp
import KeyrackApp
import KeyrackClient
import KeyrackCore
import KeyrackOutput
import SecretBytes
import KeyrackPresentation

/// `keyrack firewall`: lets CI secrets into a job through the repository file and the firewall
/// (KeyrackApp's SecretsFirewall); parses, calls, renders.
struct FirewallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "firewall",
        abstract: "Let CI secrets (a JSON object) into a job only as .agent/keyrack.yml lists them for the env and only if the firewall passes them.",
        discussion: Help.firewall)

    @OptionGroup var envOption: EnvOption
    private var env: String { envOption.env }

    @Option(help: ArgumentHelp("Where the JSON object of secrets is: json(env://VAR) or json(stdin://*).", valueName: "source"))
    var from: String

    @Option(help: ArgumentHelp("github.actions (masks and $GITHUB_ENV) or json (the attempts, granted values included).", valueName: "target"))
    var into: String

    @Flag(help: "Let through values that look like long-lived tokens.")
    var allowDangerous = false

    func validate() throws {
        guard ["github.actions", "json"].contains(into) else { throw ValidationError("--into must be github.actions or json") }
        do { _ = try SecretsFirewall.Source(parsing: from) } catch let e as SecretsFirewall.Failure { throw ValidationError(e.cliLine.text) }
    }

    func run() throws {
        let githubEnv = into == "github.actions" ? try SourceFormat.githubEnvPath() : nil
        var attempts: [SecretsFirewall.Attempt]
        do {
            attempts = try SecretsFirewall.run(from: try SecretsFirewall.Source(parsing: from), env: env, allowDangerous: allowDangerous)
        } catch let e as SecretsFirewall.Failure {
            throw UsageError(e.cliLine)
        }
        defer { for i in attempts.indices { zeroize(&attempts[i].value) } }
        if let githubEnv {
            let n = try SecretsFirewall.exportToGitHubActions(attempts, githubEnv: githubEnv, stdout: Output.write)
            Terminal.printError(n.line)
        } else {
            JSONLine.print(attempts.map(FirewallAttemptJSON.init))
        }
        for line in attempts.compactMap(\.blockedLine) { Terminal.printError(line) }
        if attempts.contains(where: { $0.status == .blocked }) { throw ExitCode(ExitStatus.notGranted) }
    }
}
