import ArgumentParser
import KeyrackApp
import KeyrackCore
import KeyrackNames
import KeyrackClient
import KeyrackPresentation

/// `keyrack migrate`: carries the TypeScript keyrack's host manifests over (TypeScriptMigration,
/// docs/migrating.md). Parses, calls the use case, renders one line per owner plus what did not move.
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Carry the TypeScript keyrack's host manifests (keyrack.host[.OWNER].age) into keyrack manifests; the old files are only read.")

    @Option(name: [.customLong("for"), .customLong("owner")], help: ArgumentHelp(
        "The owner to migrate (keyrack.host.age is `human`); repeatable. Default: human.", valueName: "owner"))
    var owners: [String] = []

    @Flag(help: "Migrate every TypeScript host manifest found.")
    var all = false

    @Option(name: .customLong("identity"), help: ArgumentHelp(
        "A private key that opens the old manifests (ssh key or age identity file); repeatable. Default: ~/.ssh/<owner>, ~/.ssh/id_ed25519, id_rsa, id_ecdsa.",
        valueName: "path"))
    var identityPaths: [String] = []

    @Flag(help: "Say what would move; write nothing.")
    var dryRun = false

    @Flag(help: "Migrate over an owner that already has a keyrack manifest: its files are renamed to *.before-migrate-TIME first, never deleted.")
    var replace = false

    @Flag(help: "Print machine-readable JSON instead of human text.")
    var json = false

    mutating func validate() throws {
        if all && !owners.isEmpty { throw ValidationError("--all and --for exclude each other: give one") }
        for owner in owners where !NameRules.isValidOwner(owner) { throw ValidationError(NameRules.invalidOwnerMessage(owner)) }
    }

    func run() throws {
        let store = try HostManifestStore.fromEnvironment()
        let request = TypeScriptMigration.Request(owners: all ? [] : (owners.isEmpty ? [OwnerName.human.value] : owners),
                                                  identityPaths: identityPaths, dryRun: dryRun, replace: replace,
                                                  userHome: InvocationPaths.userHome, interaction: TerminalInteraction.live)
        let reports = TypeScriptMigration(store: store).run(request)
        let answer = MigrateJSON(dryRun: dryRun, reports: reports, fix: \.cliText)
        if json {
            JSONLine.print(answer)
        } else if reports.isEmpty {
            print(TypeScriptMigration.nothingFound(owners: all ? nil : request.owners, root: store.home.root.path))
        } else {
            for owner in answer.owners { print(owner.text) }
        }
        if answer.anyFailed { throw ExitCode(ExitStatus.failure) }
    }
}
