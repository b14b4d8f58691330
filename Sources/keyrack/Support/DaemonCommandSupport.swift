#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KeyrackCore
import KeyrackDaemon

/// Small shared pieces of the daemon-facing commands.
enum DaemonCommandSupport {
    static func currentDirectory() -> URL {
        URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }

    /// The key names to hand out for `exec`/`source`: those given with --key, else the keys the
    /// repository lists for the env, else every key of that env the daemon holds.
    static func selectKeys(client: DaemonClient, env: String, keys: [String], allowlist: [String]?) throws -> [String] {
        if !keys.isEmpty { return keys }
        if let allowlist { return allowlist }
        guard case .status(let status) = try client.send(.status) else {
            throw DaemonError.malformed("the daemon answered STATUS with something else")
        }
        var seen = Set<String>()
        let slugs: [GrantSlug] = status.grants.map(\.slug).filter { $0.env == env || $0.env == "all" }
        // The env's own keys before ORG.all ones, each name once.
        let ordered = slugs.filter { $0.env != "all" }.sorted { $0.name < $1.name }
            + slugs.filter { $0.env == "all" }.sorted { $0.name < $1.name }
        return ordered.map(\.name).filter { seen.insert($0).inserted }
    }

    /// Fetches the values of `names` in `env` in one GET, all or nothing: the first key that is
    /// not granted (or refused by the firewall or the allowlist) fails the whole command, so
    /// `exec` never runs a program with half its environment.
    static func fetch(owner: String, env: String, names: [String], allowDangerous: Bool) throws -> [(name: String, value: [UInt8])] {
        let allowlist = try RepoAllowlist.find(from: currentDirectory())
        let client = DaemonClient(owner: owner)
        let selected: [String]
        do {
            selected = try selectKeys(client: client, env: env, keys: names, allowlist: allowlist?.keys(env: env))
        } catch DaemonError.noDaemon {
            throw KeyRequest(owner: owner, key: names.first ?? "KEY", env: env, org: allowlist?.org).locked(nil)
        }
        guard !selected.isEmpty else {
            throw NotGranted(message: "no key of env \(env) is unlocked for '\(owner)': run `keyrack unlock\(Fix.ownerFlag(owner)) --env \(env)`", code: "locked")
        }
        var requests = selected.map { KeyRequest(owner: owner, key: $0, env: GrantSlug(parsing: $0) == nil ? env : nil, org: GrantSlug(parsing: $0) == nil ? allowlist?.org : nil) }
        for r in requests { try checkListed(r, allowlist: allowlist) }
        // A key named my-key cannot be a variable. Asked for by name, that is an error; found in
        // the env, it is skipped (and named), so one such key does not fail all the others.
        let unnamable = requests.filter { !TextFormat.isShellIdentifier($0.name) }
        if let first = unnamable.first, !names.isEmpty { throw UsageError(Fix.variableName(first, env: env, skipped: false)) }
        for r in unnamable { Terminal.printError("warning: " + Fix.variableName(r, env: env, skipped: true)) }
        requests.removeAll { !TextFormat.isShellIdentifier($0.name) }
        guard !requests.isEmpty else { throw UsageError("no key of env \(env) has a name that can be a variable (see the warnings above)") }
        let values = try get(client: client, requests: requests, allowlist: allowlist, allowDangerous: allowDangerous)
        return try zip(requests, values).map { r, value in
            try environmentSafe(value, label: r.label)
            return (r.name, value)
        }
    }

    /// The values of full slugs (env-file lines, template placeholders): the same GET, allowlist
    /// and firewall as `fetch`, without its variable-name rule (the file names the variable).
    static func fetchSlugs(owner: String, slugs: [GrantSlug], allowDangerous: Bool) throws -> [[UInt8]] {
        let allowlist = try RepoAllowlist.find(from: currentDirectory())
        let requests = slugs.map { KeyRequest(owner: owner, key: $0.description, env: nil, org: nil) }
        for r in requests { try checkListed(r, allowlist: allowlist) }
        return try get(client: DaemonClient(owner: owner), requests: requests, allowlist: allowlist, allowDangerous: allowDangerous)
    }

    /// No environment variable can hold a NUL byte.
    static func environmentSafe(_ value: [UInt8], label: String) throws {
        if value.contains(0) {
            throw NotGranted(message: "\(label) contains a NUL byte, which no environment variable can hold: use `keyrack get --value` instead", code: "refused")
        }
    }

    private static func checkListed(_ r: KeyRequest, allowlist: RepoAllowlist?) throws {
        if let allowlist, let e = r.effectiveEnv,
           !allowlist.allows(org: GrantSlug(parsing: r.key)?.org ?? allowlist.org, env: e, name: r.name) { throw r.absent() }
    }

    /// One GET for all `requests`, all or nothing, each answer checked again against the
    /// allowlist (on the slug that answered) and the firewall.
    private static func get(client: DaemonClient, requests: [KeyRequest], allowlist: RepoAllowlist?, allowDangerous: Bool) throws -> [[UInt8]] {
        let response: Response
        do {
            response = try client.send(.get(requests.map { Query(key: $0.key, env: $0.env, org: $0.org) }))
        } catch DaemonError.noDaemon {
            throw requests[0].locked(nil)
        }
        guard case .got(let results) = response, results.count == requests.count else {
            throw DaemonError.malformed("the daemon answered GET with something else")
        }
        var out: [[UInt8]] = []
        for (r, lookup) in zip(requests, results) {
            let (info, value) = try r.resolve(lookup)
            if let allowlist, !allowlist.allows(org: info.slug.org, env: r.effectiveEnv ?? info.slug.env, name: info.slug.name) { throw r.absent() }
            try Firewall.check(value, slug: info.slug, allowDangerous: allowDangerous)
            out.append(value)
        }
        return out
    }
}

