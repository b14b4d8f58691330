import ArgumentParser
import KeyrackApp
import KeyrackCore
import KeyrackPresentation

/// `keyrack list`: an owner's keys — slug, env, org, vault, mech. Never a value.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the keys of an owner's host manifest (never their values).")

    @OptionGroup var options: ManifestOptions

    @Option(help: ArgumentHelp("Only keys answering this env (ORG.all.KEY answers every env).", valueName: "env"))
    var env: String?

    mutating func validate() throws {
        try UsageChecks.check { _ = try env.map(EnvName.init) }
    }

    func run() throws {
        let (owner, manifest) = try options.manifest()
        let keys = manifest.keys(env: env)
        options.answer(KeyListJSON(owner: owner, entries: keys)) {
            guard !keys.isEmpty else { return print("keyrack list: owner \(owner) has no keys\(env.map { " for env \($0)" } ?? "")") }
            // SEND-TO only when a key has one, so a rack without keycards lists as before.
            let sendTo = keys.contains { !$0.sendTo.isEmpty }
            let rows = [["SLUG", "ENV", "ORG", "VAULT", "MECH"] + (sendTo ? ["SEND-TO"] : [])] + keys.map {
                [$0.slug.description, $0.env.value, $0.org.value, $0.source, $0.mech.rawValue]
                    + (sendTo ? [$0.sendTo.isEmpty ? "-" : $0.sendTo.map(\.description).joined(separator: ",")] : [])
            }
            print(TextTable.render(rows))
        }
    }
}
