import ArgumentParser
import KeyrackHelp
import Foundation
import KeyrackApp
import KeyrackClient
import KeyrackCore
import KeyrackDaemon
import SecretBytes
import KeyrackNames
import KeyrackPresentation

/// `keyrack set`: records where one key of an owner lives (and, for os.secure / os.direct, its
/// value, read from the terminal without echo or from stdin — never from argv).
struct SetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Add or replace a key in an owner's host manifest.",
        discussion: Help.set)

    @OptionGroup var options: OwnerOptions
    @OptionGroup var identity: IdentityOptions

    @Option(help: ArgumentHelp("The key name, e.g. GITHUB_TOKEN.", valueName: "name"))
    var key: String

    @Option(help: ArgumentHelp("The env: sudo, prod, prep, test, all, or a custom name.", valueName: "env"))
    var env: String

    @Option(help: ArgumentHelp("The org (or @all for machine-wide); default: from .agent/keyrack.yml, else @all for sudo keys.", valueName: "org"))
    var org: String?

    @Option(help: ArgumentHelp("Where the secret lives.", valueName: "vault"))
    var vault: Vault

    @Option(help: ArgumentHelp("External id in the vault: the 1Password reference, MOUNT/PATH#FIELD for openbao, the SSM parameter name, or the AWS profile.", valueName: "id"))
    var exid: String?

    @Option(help: ArgumentHelp("openbao: this key's server, e.g. https://bao.example.net:8200 (default: set-default, BAO_ADDR, VAULT_ADDR).", valueName: "url"))
    var openbaoAddr: String?

    @Option(help: ArgumentHelp("openbao: the PEM CA file of this key's server (default: set-default, VAULT_CACERT, the system's roots).", valueName: "path"))
    var openbaoCacert: String?

    @Option(help: ArgumentHelp("Mechanism (default: the vault's).", valueName: "mech"))
    var mech: Mechanism?

    @Option(help: ArgumentHelp("Cap on the unlock TTL of this key, e.g. 30m, 9h.", valueName: "duration"))
    var maxDuration: String?

    @Option(name: .customLong("send-to"), help: ArgumentHelp(
        "A host `exec --proxy` may send the value to, as HOST or HOST:PORT (default port 443; *.DOMAIN for its subdomains); repeatable. Without it the value is never substituted into any request.",
        valueName: "host[:port]"))
    var sendTo: [String] = []

    @OptionGroup var source: SourceOptions

    mutating func validate() throws {
        if identity.pin.pinStdin && vault.takesValueAtSet {
            throw ValidationError("stdin carries the value of a \(vault.rawValue) key: give the YubiKey PIN with --pin-file PATH instead of --pin-stdin")
        }
        if UsageChecks.refusesOpenBaoAddress(openbaoAddr) { return }  // run() says why, on one line
        do { try UsageChecks.check { try input().check(gitHubApp: source.gitHubApp) } } catch let problem as GitHubAppKeyInput.Problem {
            throw ValidationError(problem.cliText)
        }
    }

    /// The options, typed for the app layer (KeyChange holds the rules).
    private func input() throws -> KeyChange.SetInput {
        KeyChange.SetInput(owner: try options.ownerName(), org: org, env: try EnvName(env), key: try KeyName(key), vault: vault, exid: exid, mech: mech,
                           maxDuration: try maxDuration.map(Duration.init), options: source.keyOptions, addr: openbaoAddr,
                           cacert: openbaoCacert.map { InvocationPaths.absolutePath($0) }, sendTo: try destinations(),
                           onePasswordAccount: source.account, directory: InvocationPaths.currentDirectory)
    }

    /// `--send-to`, each under the one rule (KeyrackNames' Destination).
    func destinations() throws -> [Destination] {
        try sendTo.map { text in
            guard let d = Destination(text) else { throw ValidationError(Destination.message(text)) }
            return d
        }
    }

    func run() throws {
        try UsageChecks.checkOpenBaoAddress(openbaoAddr)
        let owner = try options.ownerName()
        let store = try HostManifestStore.fromEnvironment()
        let result = try KeyChange.set(try input(), store: store, identities: {
            try identity.identities(owner, store: store)
        }, value: { slug in
            guard vault == .osSecure && mech == .ephemeralViaGithubApp else { return try SecretPrompt.readValue(for: slug) }
            return try source.gitHubApp.source { prompt, field in try TerminalLine.ask(prompt, flag: field.flag) }
        }, effects: LiveManifestEffects())
        let entry = result.entry
        if let warning = result.longLivedWarning { Terminal.printError(warning) }
        options.answer(SetJSON(entry: KeyEntryJSON(entry, source: entry.source), owner: owner.value, effect: result.outcome.rawValue, repoFile: result.repoFile)) {
            print(result.line(owner: owner))
            if let line = result.repoFile.line { print(line) }
        }
    }
}
