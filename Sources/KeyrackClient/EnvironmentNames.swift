#if canImport(Glibc)
import Glibc
#endif
import KeyrackDaemon
import SecretBytes
import KeyrackNames

/// Which names `exec` and `source` may put into an environment, and where they may come from.
///
/// A variable name is code for whatever reads it: `BASH_ENV` and `ENV` name a file a shell runs,
/// `LD_PRELOAD` a library the loader maps, `GIT_SSH_COMMAND` a command git runs, `https_proxy`
/// where a client sends every request, `SSL_CERT_FILE` whom it trusts. So a name of one of these
/// families is handed out only when the user typed it with `--key` and passed
/// `--allow-dangerous`; a repository file or the daemon can never supply one. A deny list by
/// family: it covers what common tools read (shells, the loader, git, ssh, sudo, less, curl,
/// Python, Node, Perl, Ruby, Java, npm, docker, kubectl, the AWS CLI, keyrack itself), not
/// every program ever written.
public enum EnvironmentNames {
    /// One family of dangerous names: exact names, prefixes and suffixes (compared in upper case
    /// when `anyCase`, for the proxies curl and others read in either case), and what they change.
    public struct Family: Sendable {
        public let reason: String
        public let names: Set<String>
        public let prefixes: [String]
        public let suffixes: [String]
        public var anyCase = false

        func contains(_ name: String) -> Bool {
            let n = anyCase ? name.uppercased() : name
            return names.contains(n) || prefixes.contains { n.hasPrefix($0) } || suffixes.contains { n.hasSuffix($0) }
        }
    }

    /// The first family that holds a name gives its reason.
    public static let families: [Family] = [
        // keyrack's own settings name helpers it runs (KEYRACK_ASKPASS, KEYRACK_AWS_CLI) and where
        // it keeps manifests: a program run by `exec` must not be handed other ones.
        Family(reason: "changes what keyrack itself runs or reads", names: [], prefixes: ["KEYRACK_"], suffixes: []),
        // Shells, the dynamic loader, libc: exported bash functions, `DYLD_` for macOS users'
        // scripts, and git's `GIT_CONFIG_KEY_n`/`VALUE_n` pairs that set any config (core.sshCommand…).
        Family(reason: "changes how a shell or the loader behaves",
               names: ["BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "PS0", "PS1", "PS2", "PS3", "PS4", "PROMPT_COMMAND",
                       "IFS", "CDPATH", "GLOBIGNORE", "ZDOTDIR", "HISTFILE", "PATH", "HOME", "SHELL", "TMPDIR", "EXECIGNORE",
                       "GCONV_PATH", "GLIBC_TUNABLES", "LOCPATH", "NLSPATH", "HOSTALIASES", "RESOLV_HOST_CONF", "MALLOC_CHECK_",
                       "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "XDG_DATA_DIRS", "XDG_RUNTIME_DIR"],
               prefixes: ["LD_", "BASH_FUNC_", "DYLD_", "GIT_CONFIG_"], suffixes: []),
        // What an interpreter or VM loads or runs as it starts.
        Family(reason: "changes what an interpreter loads or runs at start",
               names: ["PERL5LIB", "PERL5OPT", "PERL5DB", "PERLLIB", "PERL_UNICODE", "RUBYOPT", "RUBYLIB",
                       "NODE_OPTIONS", "NODE_PATH", "NODE_REPL_EXTERNAL_MODULE", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS",
                       "JDK_JAVA_OPTIONS", "CLASSPATH", "LUA_INIT", "LUA_PATH", "LUA_CPATH", "TCLLIBPATH", "PHPRC", "PHP_INI_SCAN_DIR"],
               prefixes: ["PYTHON", "LUA_INIT_", "NPM_CONFIG_", "npm_config_"], suffixes: []),
        // A program a common tool runs, or the config that names one: git's executors, editors,
        // pagers and askpass helpers of every tool, less's filters, ssh's agent, kubectl's and the
        // AWS CLI's config files (exec plugins, credential_process), docker's daemon.
        Family(reason: "names a program a common tool runs",
               names: ["GIT_SSH", "GIT_SSH_COMMAND", "GIT_EXEC_PATH", "GIT_EXTERNAL_DIFF", "GIT_PROXY_COMMAND", "GIT_TEMPLATE_DIR",
                       "GIT_CONFIG", "GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                       "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_DIFF_OPTS", "GIT_ALLOW_PROTOCOL",
                       "EDITOR", "VISUAL", "PAGER", "MANPAGER", "LESSOPEN", "LESSCLOSE", "LESSKEY", "LESSSECURE", "BROWSER", "TERMINAL",
                       "SSH_AUTH_SOCK", "SSH_ASKPASS_REQUIRE", "SUDO_EDITOR", "KUBECONFIG", "DOCKER_HOST", "DOCKER_CONFIG",
                       "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "GNUPGHOME", "CURL_HOME", "WGETRC", "NETRC", "MANOPT"],
               prefixes: [], suffixes: ["_PAGER", "_EDITOR", "_ASKPASS"]),
        // Where traffic goes: every *_PROXY (and no_proxy), in either case as curl reads them.
        Family(reason: "reroutes network traffic", names: ["NO_PROXY"], prefixes: [], suffixes: ["_PROXY"], anyCase: true),
        // Whom TLS trusts, or whether it checks at all; SSLKEYLOGFILE writes the session keys out.
        Family(reason: "changes which TLS certificates are trusted",
               names: ["SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS",
                       "NODE_TLS_REJECT_UNAUTHORIZED", "GIT_SSL_CAINFO", "GIT_SSL_CAPATH", "GIT_SSL_NO_VERIFY", "AWS_CA_BUNDLE",
                       "PIP_CERT", "CARGO_HTTP_CAINFO", "SSLKEYLOGFILE", "OPENSSL_CONF", "OPENSSL_MODULES", "OPENSSL_ENGINES"],
               prefixes: [], suffixes: []),
    ]

    /// What `name` changes, when it is one of the dangerous families; nil when it is not.
    public static func reason(_ name: String) -> String? {
        families.first { $0.contains(name) }?.reason
    }

    public static func isDangerous(_ name: String) -> Bool { reason(name) != nil }
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
    ///
    /// `lenient` (`source --lenient`, the TypeScript keyrack's mode): a key that is not granted
    /// (locked, absent, expired, refused by the firewall) is left out with a note on stderr
    /// instead of failing the call; usage errors and dangerous names still fail it.
    public func environment(env: String, keys: [String], lenient: Bool = false) throws -> [(name: String, value: [UInt8])] {
        try environmentGrants(env: env, keys: keys, lenient: lenient).map { ($0.request.name, $0.value) }
    }

    /// As `environment`, with each value's grant (its slug, expiry and `sendTo`), for
    /// `exec --proxy`, which hands out placeholders and needs to know where each value may go.
    public func environmentGrants(env: String, keys: [String], lenient: Bool = false) throws -> [Fetched] {
        let source: NameSource
        let selected: [String]
        if !keys.isEmpty {
            (source, selected) = (.keyOption, keys)
        } else if let allowlist {
            (source, selected) = (.repoFile(allowlist.path), allowlist.keys(env: env))
        } else {
            (source, selected) = (.unlocked, try unlockedNames(env: env, fallbackKey: keys.first))
        }
        guard !selected.isEmpty || lenient else {
            throw NotGranted(message: "no key of env \(env) is unlocked for '\(owner)': run \(fix: "keyrack unlock\(Fix.ownerFlag(owner)) --env \(env)")", code: "locked")
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
        if case .repoFile = source { requests = try droppingOptional(requests, env: env) }
        guard !requests.isEmpty || (lenient && selected.isEmpty) else { throw UsageError("no key of env \(env) has a name that can be a variable (see the warnings above)") }
        for r in requests {
            if EnvironmentNames.isDangerous(r.name) && !(source == .keyOption && allowDangerous) {
                throw NotGranted(message: refusal(r.name, source: source))
            }
        }
        var fetched = try lenient ? grantedOnly(requests) : values(requests)
        if let bad = fetched.first(where: { $0.value.contains(0) }) {
            for i in fetched.indices { zeroize(&fetched[i].value) }
            throw NotGranted(message: "\(bad.info.slug) contains a NUL byte, which no environment variable can hold: use \(fix: "keyrack get --value") instead", code: "refused")
        }
        return fetched
    }

    /// `is-optional-if-has: VAR` (the TypeScript keyrack's rule): a listed key is not required
    /// when it is absent from the rack and VAR is set in the caller's environment (the other
    /// variable serves instead, e.g. AWS_ACCESS_KEY_ID for AWS_PROFILE). A locked key, or one
    /// whose VAR is unset, stays required: exec and source still fail on it.
    private func droppingOptional(_ requests: [KeyRequest], env: String) throws -> [KeyRequest] {
        guard let allowlist else { return requests }
        return try requests.filter { r in
            guard let other = allowlist.optionalIfHas(env: env, name: r.name), getenv(other) != nil else { return true }
            do {
                var probe = try values([r])
                for i in probe.indices { zeroize(&probe[i].value) }
                return true
            } catch let e as NotGranted where e.errorCode == "absent" {
                Terminal.printError("note: \(r.name) is absent and optional while \(other) is set (\(allowlist.path)): not set")
                return false
            }
        }
    }

    /// Each request on its own, leaving out (with a note) those not granted.
    private func grantedOnly(_ requests: [KeyRequest]) throws -> [Fetched] {
        var out: [Fetched] = []
        for r in requests {
            do { out += try values([r]) } catch let e as NotGranted {
                Terminal.printError("note: \(r.name) left out (--lenient): \(e.message)")
            }
        }
        return out
    }

    private func refusal(_ name: String, source: NameSource) -> String {
        let origin: String
        switch source {
        case .keyOption: origin = "you asked for it"
        case .repoFile(let path): origin = "\(path) lists it"
        case .unlocked: origin = "it is unlocked"
        }
        let what = EnvironmentNames.reason(name) ?? "changes how a shell or the loader behaves"
        return "\(name) \(what), and \(origin); keyrack puts it in an environment only when you name it yourself: --key \(name) --allow-dangerous"
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
