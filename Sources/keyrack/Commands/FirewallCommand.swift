import ArgumentParser
import Foundation
import KeyrackApp
import KeyrackClient
import KeyrackCore
import KeyrackOutput
import SecretBytes
import KeyrackYAML
import KeyrackNames

/// `keyrack firewall`: lets CI secrets into a job through the repository file and the firewall
/// (KeyrackApp's SecretsFirewall); parses, calls, renders.
struct FirewallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "firewall",
        abstract: "Let CI secrets (a JSON object) into a job only as .agent/keyrack.yml lists them for the env and only if the firewall passes them.",
        discussion: """
        GitHub Actions: env: { SECRETS: ${{ toJSON(secrets) }} } then keyrack firewall --env test --from 'json(env://SECRETS)' \
        --into github.actions: masks each value, appends the granted ones to $GITHUB_ENV, and exits 3 (having exported the \
        others) when a listed secret is blocked (a long-lived token, a name that changes a shell or loader).
        """)

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
        do { _ = try SecretsFirewall.Source(parsing: from) } catch let e as SecretsFirewall.Failure { throw ValidationError(e.description) }
    }

    func run() throws {
        let githubEnv = into == "github.actions" ? try SourceFormat.githubEnvPath() : nil
        var attempts: [SecretsFirewall.Attempt]
        do {
            attempts = try SecretsFirewall.run(from: try SecretsFirewall.Source(parsing: from), env: env, allowDangerous: allowDangerous)
        } catch let e as SecretsFirewall.Failure {
            throw UsageError(e.description, fix: e.fixCommand)
        }
        defer { for i in attempts.indices { zeroize(&attempts[i].value) } }
        let granted = attempts.filter { $0.status == .granted }
        if let githubEnv {
            var (out, appended) = try SourceFormat.githubActions.render(granted.map { ($0.name, $0.value) })
            defer { zeroize(&out); zeroize(&appended) }
            Output.write(out)
            try SourceFormat.append(appended, to: githubEnv)
            let count = { (s: SecretsFirewall.Attempt.Status) in attempts.filter { $0.status == s }.count }
            Terminal.printError("keyrack firewall: \(count(.granted)) granted (masked, appended to $GITHUB_ENV), \(count(.blocked)) blocked, \(count(.absent)) absent")
        } else {
            let objects = attempts.map { a -> [String: Any] in
                var o: [String: Any] = ["slug": a.slug, "status": a.status.rawValue]
                if let r = a.reason { o["reason"] = r }
                if a.status == .granted { o["value"] = String(decoding: a.value, as: UTF8.self) }
                return o
            }
            try ManifestCLI.printJSON(objects)
        }
        for a in attempts where a.status == .blocked { Terminal.printError("blocked: \(a.slug): \(a.reason ?? "")") }
        if attempts.contains(where: { $0.status == .blocked }) { throw ExitCode(ExitStatus.notGranted) }
    }
}
