#if canImport(Glibc)
import Glibc
#endif
import KeyrackDaemon
import KeyrackNames
import KeyrackYAML
import SecretBytes

/// `keyrack get` after parsing: one key, from the owner's daemon only. It never decrypts
/// anything, so it is fast and never prompts; when the key is not granted it says which of
/// locked, absent or expired, and the command that fixes it (exit 3).
///
/// Both binaries run this very code: the front end after its hand-written parse, the full CLI's
/// `GetCommand` after ArgumentParser's, so what users see cannot depend on which one answered.
public struct GetFlow {
    public var owner: String
    public var key: String
    public var env: String?
    public var value: Bool
    public var json: Bool
    public var allowDangerous: Bool

    public init(owner: String, key: String, env: String?, value: Bool, json: Bool, allowDangerous: Bool) {
        self.owner = owner
        self.key = key
        self.env = env
        self.value = value
        self.json = json
        self.allowDangerous = allowDangerous
    }

    /// The validation failure `GetCommand.validate()` reports, or nil. (The front end hands any
    /// of these, and a bad owner name, to the full CLI, so ArgumentParser prints them with its
    /// usage text.)
    public var validationProblem: String? {
        if value && json { return "--value and --json are exclusive: choose one output" }
        if let env, !NameRules.isValidEnv(env) {
            return "invalid --env '\(TextFormat.printable(String(env.prefix(40))))': use sudo, prod, prep, test, all or a lowercase name"
        }
        if key.isEmpty { return "--key is empty: pass a key name or ORG.ENV.KEY" }
        if let problem = KeyRequest.keyProblem(key) { return problem }
        return nil
    }

    /// The current directory, as `getcwd` reports it ("/" if it is gone).
    public static func currentDirectory() -> String { ValueFetch.currentDirectory() }

    /// Asks the daemon and prints the answer; throws a `CLIReportable` for every refusal.
    /// The steps are `ValueFetch`'s, the very ones `exec` and `source` take.
    public func run(directory: String = GetFlow.currentDirectory()) throws {
        let fetch = try ValueFetch(owner: owner, directory: directory, allowDangerous: allowDangerous)
        let fetched = try fetch.values([try fetch.request(key: key, env: env)])[0]
        let info = fetched.info
        var secret = fetched.value
        defer { zeroize(&secret) }

        if value {
            Output.write(secret)
        } else if json {
            let line = JSONLine.encode(GrantedValue(owner: owner, slug: info.slug.description, org: info.slug.org, env: info.slug.env, key: info.slug.key,
                                                    vault: info.vault, expiresAt: TextFormat.isoTime(milliseconds: info.expiresAtWallMilliseconds), secret: secret))
            var bytes = Array(line.utf8) + [0x0a]
            Output.write(bytes)
            zeroize(&bytes)
        } else {
            Output.line("\(info.slug): granted to '\(owner)' from \(info.vault), expires in \(TextFormat.remaining(milliseconds: info.remainingMilliseconds)) (use --value to print it)")
        }
    }
}

extension GetFlow {
    /// Parses the arguments after `get` exactly as far as the full CLI's `GetCommand` would
    /// accept them: `--for`, `--key`, `--env` (as `--opt value` or `--opt=value`), `--value`,
    /// `--json`, `--allow-dangerous`, each at most once, and the same validation. Anything else
    /// (help, a repeated or unknown option, a value that looks like an option, a validation
    /// failure) returns nil, and the caller hands the whole command line to the full CLI, whose
    /// ArgumentParser prints the usage text.
    public init?(arguments: [String]) {
        // Plain optionals and Bools, not a [String: String] and a Set<String>: the front end
        // runs this once per process, and those two generic types' metadata, set up at run time
        // on first use, were 150 K of its 631 K instructions (callgrind of `keyrack get --value`).
        var owner: String?, key: String?, env: String?
        var value = false, json = false, allowDangerous = false
        var i = 0
        while i < arguments.count {
            var name = arguments[i]
            var inline: String?
            if name.hasPrefix("--"), let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            // `--owner`, the TypeScript keyrack's spelling, is the full CLI's alias of --for.
            if name == "--owner" { name = "--for" }
            switch name {
            case "--for", "--key", "--env":
                let given: String
                if let inline { given = inline } else {
                    guard i + 1 < arguments.count else { return nil }
                    i += 1
                    given = arguments[i]
                }
                guard !given.isEmpty, !given.hasPrefix("-") else { return nil }
                switch name {
                case "--for": guard owner == nil else { return nil }; owner = given
                case "--key": guard key == nil else { return nil }; key = given
                default: guard env == nil else { return nil }; env = given
                }
            case "--value", "--json", "--allow-dangerous":
                guard inline == nil else { return nil }
                switch name {
                case "--value": guard !value else { return nil }; value = true
                case "--json": guard !json else { return nil }; json = true
                default: guard !allowDangerous else { return nil }; allowDangerous = true
                }
            default:
                return nil
            }
            i += 1
        }
        guard let key else { return nil }
        self.init(owner: owner ?? "human", key: key, env: env, value: value, json: json, allowDangerous: allowDangerous)
        if validationProblem != nil || !NameRules.isValidOwner(self.owner) { return nil }
    }
}
