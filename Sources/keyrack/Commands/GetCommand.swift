import ArgumentParser
import KeyrackCore
import KeyrackDaemon
#if canImport(Glibc)
import Glibc
#endif

/// `keyrack get`: one key, from the owner's daemon only. It never decrypts anything, so it is
/// fast and never prompts; when the key is not granted it says which of locked, absent or
/// expired, and the command that fixes it (exit 3).
struct GetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Print one unlocked key of an owner, from its daemon.",
        discussion: """
        Prints a status line by default; the value itself only with --value (raw bytes, no \
        newline) or --json. A request for ORG.ENV.KEY is answered by ORG.all.KEY when only that \
        is unlocked. Inside a repository with .agent/keyrack.yml, only the keys it lists (plus \
        sudo and @all keys) are handed out.
        """
    )

    @OptionGroup var options: OwnerOptions

    @Option(help: ArgumentHelp("The key: a bare name (GITHUB_TOKEN) or a full slug (ORG.ENV.KEY).", valueName: "key"))
    var key: String

    @Option(help: ArgumentHelp("The env to look in (sudo, prod, prep, test, all, or custom).", valueName: "env"))
    var env: String?

    @Flag(help: "Print only the value, as raw bytes without a trailing newline.")
    var value = false

    @Flag(help: "Hand out values that look like long-lived tokens (ghp_, gho_, ghu_, ghr_, AKIA).")
    var allowDangerous = false

    func validate() throws {
        if value && options.json { throw ValidationError("--value and --json are exclusive: choose one output") }
        if let env, !GrantSlug.isEnvName(env) {
            throw ValidationError("invalid --env '\(env.prefix(40))': use sudo, prod, prep, test, all or a lowercase name")
        }
        if key.isEmpty { throw ValidationError("--key is empty: pass a key name or ORG.ENV.KEY") }
    }

    func run() throws {
        let owner = options.owner
        let allowlist = try RepoAllowlist.find(from: DaemonCommandSupport.currentDirectory())
        var request = KeyRequest(owner: owner, key: key, env: env, org: nil)
        if let slug = GrantSlug(parsing: key) {
            if let env, env != slug.env { throw UsageError("--env \(env) conflicts with the env of slug \(key) (\(slug.env))") }
        } else {
            request.org = allowlist?.org
        }
        if let allowlist, let env = request.effectiveEnv {
            let org = GrantSlug(parsing: key)?.org ?? allowlist.org
            if !allowlist.allows(org: org, env: env, name: request.name) { throw request.absent() }
        }

        let client = DaemonClient(owner: owner)
        let response: Response
        do {
            response = try client.send(.get([Query(key: key, env: env, org: request.org)]))
        } catch DaemonError.noDaemon {
            throw request.locked(nil)
        }
        guard case .got(let results) = response, let lookup = results.first else {
            throw DaemonError.malformed("the daemon answered GET with something else")
        }
        var (info, secret) = try request.resolve(lookup)
        defer { zeroize(&secret) }
        // The allowlist is checked again on the slug that answered (a bare name may resolve to
        // an org or env the repository did not list).
        if let allowlist, !allowlist.allows(org: info.slug.org, env: request.effectiveEnv ?? info.slug.env, name: info.slug.name) {
            throw request.absent()
        }
        try Firewall.check(secret, slug: info.slug, allowDangerous: allowDangerous)

        if value {
            Output.write(secret)
        } else if options.json {
            var line = "{\"status\":\"granted\",\"owner\":\(TextFormat.json(owner)),\"slug\":\(TextFormat.json(info.slug.description))"
            line += ",\"org\":\(TextFormat.json(info.slug.org)),\"env\":\(TextFormat.json(info.slug.env)),\"key\":\(TextFormat.json(info.slug.name))"
            line += ",\"vault\":\(TextFormat.json(info.vault)),\"expiresAt\":\(TextFormat.json(TextFormat.isoTime(milliseconds: info.expiresAtWallMilliseconds)))"
            if let text = String(validating: secret, as: UTF8.self) {
                line += ",\"value\":\(TextFormat.json(text))}"
            } else {
                line += ",\"valueHex\":\(TextFormat.json(secret.map { String($0, radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined()))}"
            }
            var bytes = Array(line.utf8) + [0x0a]
            Output.write(bytes)
            zeroize(&bytes)
        } else {
            Output.line("\(info.slug): granted to '\(owner)' from \(info.vault), expires in \(TextFormat.remaining(milliseconds: info.remainingMilliseconds)) (use --value to print it)")
        }
    }
}
