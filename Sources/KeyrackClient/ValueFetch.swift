#if canImport(Glibc)
import Glibc
#endif
import KeyrackDaemon
import KeyrackYAML
import SecretBytes
import KeyrackNames

/// The one path from a command to an owner's values: `get` (in both binaries), `exec` and
/// `source` all come through here, so a check added once holds for every one of them.
///
/// The steps, in order: read the repository's allowlist once; refuse a key it does not list as
/// if it did not exist; connect only to a daemon proven to be the caller's own (`DaemonClient`
/// checks the runtime directory and SO_PEERCRED before sending anything); ask for every value in
/// one GET; check the allowlist again on the slug that answered; refuse long-lived tokens.
public struct ValueFetch {
    public let owner: String
    public let allowlist: RepoAllowlist?
    public var allowDangerous: Bool
    public var client: DaemonClient

    public init(owner: String, directory: String = ValueFetch.currentDirectory(), allowDangerous: Bool) throws {
        self.owner = owner
        self.allowDangerous = allowDangerous
        self.client = DaemonClient(owner: owner)
        do { allowlist = try RepoAllowlist.find(from: directory) } catch let error as RepoFileError {
            if error.isUsage { throw UsageError(error.message) }
            throw CommandFailure(error.message)
        }
    }

    /// The current directory, as `getcwd` reports it ("/" if it is gone).
    public static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" }
        return String(cString: buffer)
    }

    /// The request for `key` (a bare name or ORG.ENV.KEY): a bare name is looked up in the
    /// repository's org; a slug whose env contradicts `env` is a usage error.
    public func request(key: String, env: String?) throws -> KeyRequest {
        if let problem = KeyRequest.keyProblem(key) { throw UsageError(problem) }
        var request = KeyRequest(owner: owner, key: key, env: env, org: nil)
        if let slug = Slug(parsing: key) {
            if let env, env != slug.env { throw UsageError("--env \(env) conflicts with the env of slug \(key) (\(slug.env))") }
        } else {
            request.org = allowlist?.org
        }
        return request
    }

    public struct Fetched {
        public var request: KeyRequest
        public var info: GrantInfo
        public var value: [UInt8]
    }

    /// The values of `requests`, all or nothing: the first that is not granted (or is refused by
    /// the allowlist or the firewall) fails the whole call.
    public func values(_ requests: [KeyRequest]) throws -> [Fetched] {
        for r in requests where !allowed(r, slug: nil) { throw r.absent() }
        guard let first = requests.first else { return [] }
        let response: Response
        do {
            response = try client.send(.get(requests.map { Query(key: $0.key, env: $0.env, org: $0.org) }))
        } catch DaemonError.noDaemon {
            throw ValueFetch.noDaemon(first)
        }
        guard case .got(let results) = response, results.count == requests.count else {
            throw DaemonError.malformed("the daemon answered GET with something else")
        }
        var out: [Fetched] = []
        var failure: Error?
        for (r, lookup) in zip(requests, results) {
            do {
                let (info, value) = try r.resolve(lookup)
                out.append(Fetched(request: r, info: info, value: value))
                // The allowlist again, on the slug that answered (a bare name may resolve to an
                // org or env the repository did not list).
                guard allowed(r, slug: info.slug) else { throw r.absent() }
                try Firewall.check(value, slug: info.slug, allowDangerous: allowDangerous)
            } catch {
                failure = error
                break
            }
        }
        if let failure {
            for i in out.indices { zeroize(&out[i].value) }
            throw failure
        }
        return out
    }

    /// What "no daemon runs" means for `request`: an owner with no manifest at all never had
    /// the key (say so, exit 3); otherwise only unlock can tell locked from never set.
    static func noDaemon(_ request: KeyRequest) -> NotGranted {
        if let home = KeyrackHomePath.current(), !KeyrackHomePath.exists(home + "/host.\(request.owner).yml.age") {
            return NotGranted(message: "'\(request.owner)' has no key \(request.label): the owner is not initialised here (no \(home)/host.\(request.owner).yml.age); \(line: Fix.initialise(owner: request.owner)), then \(fix: Fix.set(owner: request.owner, env: request.effectiveEnv, key: request.name))", code: "absent")
        }
        return NotGranted(message: "\(request.label) of '\(request.owner)' is locked, or was never set (no daemon runs, so only unlock can tell): run \(fix: Fix.unlock(owner: request.owner, env: request.effectiveEnv, key: request.name))", code: "locked")
    }

    private func allowed(_ r: KeyRequest, slug: Slug?) -> Bool {
        guard let allowlist else { return true }
        if let slug { return allowlist.allows(org: slug.org, env: r.effectiveEnv ?? slug.env, name: slug.key) }
        guard let env = r.effectiveEnv else { return true }
        return allowlist.allows(org: Slug(parsing: r.key)?.org ?? allowlist.org, env: env, name: r.name)
    }
}

/// KEYRACK_HOME as KeyrackCore resolves it (`$KEYRACK_HOME`, else `$HOME/.rhachet/keyrack`),
/// without Foundation, so the fast `get` can tell a never-initialised owner from a locked one.
enum KeyrackHomePath {
    static func current() -> String? {
        if let v = getenv("KEYRACK_HOME").map({ String(cString: $0) }), !v.isEmpty { return v }
        if let h = getenv("HOME").map({ String(cString: $0) }), !h.isEmpty { return h + "/.rhachet/keyrack" }
        return nil
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }
}
