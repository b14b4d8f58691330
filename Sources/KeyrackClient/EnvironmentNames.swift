import KeyrackDaemon
import SecretBytes

/// Which names `exec` and `source` may put into an environment, and where they may come from.
///
/// A variable name is code for whatever reads it: `BASH_ENV` and `ENV` name a file a shell runs,
/// `LD_PRELOAD` a library the loader maps, `PATH` where every command is found. So a name that
/// changes a shell's or loader's behaviour is handed out only when the user typed it with `--key`
/// and passed `--allow-dangerous`; a repository file or the daemon can never supply one.
public enum EnvironmentNames {
    /// Exact names that make a shell, the dynamic loader, libc or a common interpreter load or
    /// run something else.
    public static let dangerous: Set<String> = [
        "BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "PS0", "PS1", "PS2", "PS3", "PS4", "PROMPT_COMMAND",
        "IFS", "CDPATH", "GLOBIGNORE", "ZDOTDIR", "HISTFILE", "PATH", "HOME", "SHELL", "TMPDIR", "EXECIGNORE",
        "GCONV_PATH", "GLIBC_TUNABLES", "LOCPATH", "NLSPATH", "HOSTALIASES", "RESOLV_HOST_CONF", "MALLOC_CHECK_",
        "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONINSPECT", "PERL5LIB", "PERL5OPT", "PERLLIB",
        "RUBYOPT", "RUBYLIB", "NODE_OPTIONS", "NODE_PATH", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS",
        "GIT_SSH", "GIT_SSH_COMMAND", "GIT_EXEC_PATH", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_ASKPASS",
        "SSH_ASKPASS", "EDITOR", "VISUAL", "PAGER", "LESSOPEN", "LESSCLOSE", "BROWSER",
    ]
    /// Prefixes: the loader's whole `LD_` family, exported bash functions, `DYLD_` for macOS users'
    /// scripts, and git's `GIT_CONFIG_KEY_n`/`VALUE_n` pairs that set any config (core.sshCommand…).
    public static let dangerousPrefixes = ["LD_", "BASH_FUNC_", "DYLD_", "GIT_CONFIG_"]

    public static func isDangerous(_ name: String) -> Bool {
        dangerous.contains(name) || dangerousPrefixes.contains { name.hasPrefix($0) }
    }
}

extension ValueFetch {
    /// Where the names of an `exec`/`source` came from, for the refusal message.
    public enum NameSource: Equatable {
        case keyOption
        case repoFile(String)
        case unlocked
    }

    /// The names and values `exec` or `source` puts into an environment for `env`: the `--key`
    /// names, else the keys the repository lists for the env, else every unlocked key of the
    /// env. Every name must be a shell identifier; a dangerous one only by `--key` with
    /// `--allow-dangerous`; all or nothing, so a program never runs with half its environment.
    public func environment(env: String, keys: [String]) throws -> [(name: String, value: [UInt8])] {
        try environmentGrants(env: env, keys: keys).map { ($0.request.name, $0.value) }
    }

    /// As `environment`, with each value's grant (its slug, expiry and `sendTo`), for
    /// `exec --proxy`, which hands out placeholders and needs to know where each value may go.
    public func environmentGrants(env: String, keys: [String]) throws -> [Fetched] {
        let source: NameSource
        let selected: [String]
        if !keys.isEmpty {
            (source, selected) = (.keyOption, keys)
        } else if let allowlist {
            (source, selected) = (.repoFile(allowlist.path), allowlist.keys(env: env))
        } else {
            (source, selected) = (.unlocked, try unlockedNames(env: env, fallbackKey: keys.first))
        }
        guard !selected.isEmpty else {
            throw NotGranted(message: "no key of env \(env) is unlocked for '\(owner)': run `keyrack unlock\(Fix.ownerFlag(owner)) --env \(env)`", code: "locked")
        }
        var requests = try selected.map { key in
            try request(key: key, env: Slug(parsing: key) == nil ? env : nil)
        }
        // A key named my-key cannot be a variable. Asked for with --key, that is an error; found
        // in the repository's list or among the unlocked keys, it is skipped by name (with the
        // env-file line that passes it), so one such key does not fail all the others.
        for r in requests where !TextFormat.isShellIdentifier(r.name) {
            if source == .keyOption { throw UsageError(Fix.variableName(r, env: env, skipped: false)) }
            Terminal.printError("warning: " + Fix.variableName(r, env: env, skipped: true))
        }
        requests.removeAll { !TextFormat.isShellIdentifier($0.name) }
        guard !requests.isEmpty else { throw UsageError("no key of env \(env) has a name that can be a variable (see the warnings above)") }
        for r in requests {
            if EnvironmentNames.isDangerous(r.name) && !(source == .keyOption && allowDangerous) {
                throw NotGranted(message: refusal(r.name, source: source))
            }
        }
        var fetched = try values(requests)
        if let bad = fetched.first(where: { $0.value.contains(0) }) {
            for i in fetched.indices { zeroize(&fetched[i].value) }
            throw NotGranted(message: "\(bad.info.slug) contains a NUL byte, which no environment variable can hold: use `keyrack get --value` instead", code: "refused")
        }
        return fetched
    }

    private func refusal(_ name: String, source: NameSource) -> String {
        let origin: String
        switch source {
        case .keyOption: origin = "you asked for it"
        case .repoFile(let path): origin = "\(path) lists it"
        case .unlocked: origin = "it is unlocked"
        }
        return "\(name) changes how a shell or the loader behaves, and \(origin); keyrack puts it in an environment only when you name it yourself: --key \(name) --allow-dangerous"
    }

    /// The unlocked keys of `env` (its own before ORG.all ones), each name once. Only from a
    /// daemon `DaemonClient` proved to be the caller's own; each name is then asked for by GET,
    /// which answers only for slugs of the manifest's catalog.
    private func unlockedNames(env: String, fallbackKey: String?) throws -> [String] {
        let response: Response
        do { response = try client.send(.status) } catch DaemonError.noDaemon {
            throw ValueFetch.noDaemon(KeyRequest(owner: owner, key: fallbackKey ?? "KEY", env: env, org: allowlist?.org))
        }
        guard case .status(let status) = response else {
            throw DaemonError.malformed("the daemon answered STATUS with something else")
        }
        var seen = Set<String>()
        let slugs = status.grants.map(\.slug).filter { $0.env == env || $0.env == "all" }
        let ordered = slugs.filter { $0.env != "all" }.sorted { $0.key < $1.key }
            + slugs.filter { $0.env == "all" }.sorted { $0.key < $1.key }
        return ordered.map(\.key).filter { seen.insert($0).inserted }
    }
}

extension Fix {
    /// What to say of a key whose name is no variable name (`my-key`): how to pass it anyway,
    /// under a name of the user's choosing, with `exec --env-file`.
    public static func variableName(_ r: KeyRequest, env: String, skipped: Bool) -> String {
        let slug = Slug(parsing: r.key)?.description ?? "\(r.org ?? "ORG").\(env).\(r.name)"
        var suggested = String(r.name.uppercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
        if suggested.first?.isNumber != false { suggested = "_" + suggested }
        let name = TextFormat.printable(String(r.name.prefix(60)))
        return "\(skipped ? "skipped key '\(name)', which" : "key '\(name)'") cannot be an environment variable name ([A-Za-z_][A-Za-z0-9_]*): "
            + "pass it under a name of your own with --env-file FILE and a line \(suggested)=keyrack://\(TextFormat.printable(slug))"
    }
}
