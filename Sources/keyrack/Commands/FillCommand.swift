import ArgumentParser
import KeyrackHelp
import KeyrackApp
import KeyrackCore
import KeyrackYAML
import KeyrackNames
import KeyrackClient
import KeyrackPresentation

/// `keyrack fill`: gives several owners the repository's keys (KeyrackApp's FillOwners).
struct FillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fill",
        abstract: "Give each listed owner the keys .agent/keyrack.yml lists for an env, asking each missing value once and verifying it reads back.",
        discussion: Help.fill)

    @Option(help: ArgumentHelp("The env whose keys to fill.", valueName: "env"))
    var env: String

    @Option(name: [.customLong("for"), .customLong("owner")], help: ArgumentHelp("An owner to fill (repeatable). Default: human.", valueName: "owner"))
    var owners: [String] = []

    @Option(name: .customLong("key"), help: ArgumentHelp("Only this key (repeatable).", valueName: "key"))
    var keys: [String] = []

    @OptionGroup var identity: IdentityOptions

    func validate() throws {
        guard NameRules.isValidEnv(env), env != EnvName.sudo else { throw ValidationError("invalid --env '\(env.prefix(40))': fill takes a repository env (not sudo)") }
        for o in owners where !NameRules.isValidOwner(o) { throw ValidationError(NameRules.invalidOwnerMessage(o)) }
    }

    func run() throws {
        let store = try HostManifestStore.fromEnvironment()
        let allowlist = try RepoAllowlist.find(from: InvocationPaths.currentDirectory)
        let fill = FillOwners(store: store, identities: { try identity.identities($0, store: store) }, value: FillValues().value)
        let report: [(slug: String, outcome: FillOwners.Outcome)]
        do {
            report = try fill.run(.init(env: try EnvName(env), owners: try owners.map(OwnerName.init), keys: keys), allowlist: allowlist)
        } catch let failure as FillOwners.Failure {
            throw UsageError(failure.cliLine)
        }
        for (slug, outcome) in report { print(outcome.line(slug: slug)) }
        if report.isEmpty { print(FillOwners.Outcome.nothingListed(file: allowlist?.path, env: env)) }
    }
}
