import ArgumentParser
import Foundation
import KeyrackApp
import KeyrackCore
import KeyrackNames
import KeyrackClient

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
        if json {
            try ManifestCLI.printJSON(["dryRun": dryRun, "owners": reports.map(MigrateCommand.json)])
        } else if reports.isEmpty {
            print("keyrack migrate: no TypeScript host manifest (keyrack.host[.OWNER].age) \(all ? "" : "of \(request.owners.joined(separator: ", ")) ")in \(store.home.root.path)")
        } else {
            for r in reports { print(MigrateCommand.text(r)) }
        }
        if reports.contains(where: { if case .failed = $0.outcome { return true } else { return false } }) {
            throw ExitCode(ExitStatus.failure)
        }
    }

    static func text(_ r: MigrationReport) -> String {
        var lines: [String]
        switch r.outcome {
        case .migrated, .wouldMigrate:
            let verb = r.outcome == .migrated ? "migrated" : "would migrate"
            lines = ["\(r.owner): \(verb) \(r.keys.count) key\(r.keys.count == 1 ? "" : "s") and \(r.recipients.count) backup recipient\(r.recipients.count == 1 ? "" : "s") from \(r.source) (opened with \(r.openedWith ?? "?")); the old file is unchanged"]
            lines += r.keys.map { "  \($0.slug) (\($0.vault))" }
        case .failed(let error):
            lines = ["\(r.owner): not migrated: \(error.problem): \(error.fix)"]
        }
        lines += r.notMoved.map { "  not moved: \($0.subject): \($0.reason)" }
        return lines.joined(separator: "\n")
    }

    static func json(_ r: MigrationReport) -> [String: Any] {
        var o: [String: Any] = ["owner": r.owner, "source": r.source,
                                "keys": r.keys.map { ["slug": $0.slug, "vault": $0.vault] },
                                "recipients": r.recipients,
                                "notMoved": r.notMoved.map { ["subject": $0.subject, "reason": $0.reason] }]
        switch r.outcome {
        case .migrated: o["status"] = "migrated"
        case .wouldMigrate: o["status"] = "would-migrate"
        case .failed(let e): o["status"] = "failed"; o["problem"] = e.problem; o["fix"] = e.fix
        }
        if let w = r.openedWith { o["openedWith"] = w }
        if !r.setAside.isEmpty { o["setAside"] = r.setAside }
        return o
    }
}
