import ArgumentParser
import KeyrackApp
import KeyrackCore
import KeyrackNames
import KeyrackPresentation

/// `keyrack del`: removes one key of an owner and any value keyrack holds for it. Idempotent.
struct DelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "del",
        abstract: "Remove a key from an owner's host manifest (a key already absent is fine).")

    @OptionGroup var options: ManifestOptions

    @Option(help: ArgumentHelp("The key name, e.g. GITHUB_TOKEN.", valueName: "name"))
    var key: String

    @Option(help: ArgumentHelp("The env of the key.", valueName: "env"))
    var env: String

    @Option(help: ArgumentHelp("The org (or @all); default as for set.", valueName: "org"))
    var org: String?

    mutating func validate() throws {
        try UsageChecks.check {
            _ = try EnvName(env)
            _ = try KeyName(key)
            _ = try org.map(OrgName.init)
        }
    }

    func run() throws {
        let (owner, store, identities) = try options.access()
        let result = try KeyChange.delete(owner: owner, org: org, env: try EnvName(env), key: try KeyName(key), directory: InvocationPaths.currentDirectory,
                                          store: store, identities: identities, effects: LiveManifestEffects())
        options.answer(DelJSON(owner: owner.value, slug: result.slug.description, removed: result.removed, repoFile: result.repoFile)) {
            print(result.line(owner: owner))
            if let line = result.repoFile.line { print(line) }
        }
    }
}
