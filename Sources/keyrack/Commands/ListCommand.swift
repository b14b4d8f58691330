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
        options.answer(KeyListJSON(owner: owner, entries: keys)) { print(KeyListText.text(owner: owner, env: env, keys: keys)) }
    }
}
