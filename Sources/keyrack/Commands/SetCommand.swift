import ArgumentParser
import Foundation
import KeyrackCore

/// `keyrack set`: records where one key of an owner lives (and, for os.secure / os.direct, its
/// value, read from the terminal without echo or from stdin — never from argv).
struct SetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Add or replace a key in an owner's host manifest.",
        discussion: """
        The slug is ORG.ENV.KEY. ORG comes from .agent/keyrack.yml (searched from the current \
        directory up to the git root), else --org, else @all for sudo keys. Vaults: os.secure \
        (value kept encrypted in the manifest), os.direct (plaintext file, 0600, for non-secret \
        config), os.envvar (read from the environment at unlock), os.daemon (held only by the \
        daemon), 1password (--exid op://VAULT/ITEM/FIELD, checked with `op read` when op is installed).
        """)

    @OptionGroup var options: OwnerOptions
    @OptionGroup var identity: IdentityOptions

    @Option(help: ArgumentHelp("The key name, e.g. GITHUB_TOKEN.", valueName: "name"))
    var key: String

    @Option(help: ArgumentHelp("The env: sudo, prod, prep, test, all, or a custom name.", valueName: "env"))
    var env: String

    @Option(help: ArgumentHelp("The org (or @all for machine-wide); default: from .agent/keyrack.yml, else @all for sudo keys.", valueName: "org"))
    var org: String?

    @Option(help: ArgumentHelp("Where the secret lives: os.secure, os.direct, os.envvar, os.daemon or 1password.", valueName: "vault"))
    var vault: String

    @Option(help: ArgumentHelp("External id in the vault: the op://… reference for 1password.", valueName: "id"))
    var exid: String?

    @Option(help: ArgumentHelp("Mechanism, e.g. PERMANENT_VIA_REPLICA; default: the vault's.", valueName: "mech"))
    var mech: String?

    @Option(help: ArgumentHelp("Cap on the unlock TTL of this key, e.g. 30m, 9h.", valueName: "duration"))
    var maxDuration: String?

    mutating func validate() throws {
        try ManifestCLI.check {
            let env = try EnvName(env)
            _ = try KeyName(key)
            let vault = try Vault(parsing: vault)
            _ = try mech.map(Mechanism.init(parsing:))
            _ = try maxDuration.map(Duration.init)
            let org = try org.map(OrgName.init)
            // The full combination, with a stand-in value, so every usage error is found before
            // anything is read from the terminal.
            let slug = Slug(org: try org ?? OrgName(OrgName.all), env: env, key: try KeyName(key))
            _ = try KeySetRequest(slug: slug, vault: vault, exid: exid, mech: nil, maxDuration: nil,
                                  value: vault.takesValueAtSet ? [0] : nil)
        }
    }

    func run() throws {
        let owner = try ManifestCLI.owner(options)
        let store = try ManifestCLI.store()
        let env = try EnvName(env)
        let vault = try Vault(parsing: vault)
        let slug = Slug(org: try HostManifestStore.resolveOrg(given: org, env: env, directory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)),
                        env: env, key: try KeyName(key))
        guard store.isInitialised(owner) else {
            let flag = owner == .human ? "" : " --for \(owner.value)"
            throw UsageError("owner \(owner) is not initialised: run `keyrack init\(flag)` (your ssh key; or --via yubikey|age) first")
        }
        // Find the identities before asking for a value, so an owner with no identity here fails
        // before the user types a secret. (Decrypting twice would cost a YubiKey owner two touches.)
        let identities = try ManifestCLI.identities(owner, store: store, paths: identity.paths)
        let value = vault.takesValueAtSet ? try ManifestCLI.readValue(for: slug) : nil
        let request = try KeySetRequest(slug: slug, vault: vault, exid: exid, mech: try mech.map(Mechanism.init(parsing:)),
                                        maxDuration: try maxDuration.map(Duration.init), value: value)
        if vault == .onePassword, let exid { try OnePassword.check(reference: exid) }
        let (entry, outcome) = try store.setKey(owner: owner, request, identities: identities)
        if options.json {
            var object = ManifestCLI.json(entry)
            object["owner"] = owner.value
            object["effect"] = outcome.rawValue
            try ManifestCLI.printJSON(object)
        } else {
            print("keyrack set: \(outcome.rawValue) \(entry.slug) for owner \(owner) (vault \(entry.vault.rawValue), mech \(entry.mech.rawValue))")
        }
    }
}
