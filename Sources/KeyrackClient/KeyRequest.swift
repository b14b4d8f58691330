import KeyrackDaemon
import KeyrackNames

/// What a `get`-like command asked for, for messages that do not depend on what exists: an
/// allowlisted-away key and a truly absent key must read the same.
public struct KeyRequest {
    public var owner: String
    public var key: String
    public var env: String?
    public var org: String?

    public init(owner: String, key: String, env: String?, org: String?) {
        self.owner = owner
        self.key = key
        self.env = env
        self.org = org
    }

    /// Why `key` (a bare name or ORG.ENV.KEY) can never name a key, or nil: too long for any
    /// slug, or holding bytes no key name has. A usage error (exit 2), found before any daemon
    /// is asked, so an over-long name is not reported as a protocol problem.
    public static func keyProblem(_ key: String) -> String? {
        // The shown form only when there is a problem: a Character-wise prefix is not free, and
        // `keyrack get` asks this twice per call of a name that is fine.
        func shown() -> String { TextFormat.printable(String(key.prefix(60))) }
        if key.utf8.count > 450 { return "--key '\(shown())…' is \(key.utf8.count) bytes long: a key name has at most 128, a full slug at most 450" }
        let allowed = key.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x5f || b == 0x2d || b == 0x2e || b == 0x40
        }
        if !allowed { return "invalid --key '\(shown())': use letters, digits, '_', '-' and '.' (e.g. --key GITHUB_TOKEN or ORG.ENV.KEY)" }
        return nil
    }

    /// The bare key name (`GITHUB_TOKEN` of `ehmpathy.sudo.GITHUB_TOKEN`).
    public var name: String { Slug(parsing: key)?.key ?? key }
    public var effectiveEnv: String? { Slug(parsing: key)?.env ?? env }

    public var label: String {
        let key = TextFormat.printable(String(self.key.prefix(128)))
        if Slug(parsing: self.key) != nil { return key }
        if let org, let env { return "\(org).\(env).\(key)" }
        if let env { return "\(key) (env \(env))" }
        return key
    }

    public func absent() -> NotGranted {
        NotGranted(message: "'\(owner)' has no key \(label): add it with \(fix: Fix.set(owner: owner, env: effectiveEnv, key: name))", code: "absent")
    }

    public func locked(_ slug: Slug?) -> NotGranted {
        NotGranted(message: "\(slug?.description ?? label) of '\(owner)' is locked: run \(fix: Fix.unlock(owner: owner, env: slug?.env ?? effectiveEnv, key: name))", code: "locked")
    }

    public func expired(_ slug: Slug) -> NotGranted {
        NotGranted(message: "the grant of \(slug) for '\(owner)' has expired: run \(fix: Fix.unlock(owner: owner, env: slug.env, key: name))", code: "expired")
    }

    public func ambiguous(_ slugs: [Slug]) -> UsageError {
        UsageError("key \(key) matches \(slugs.map(\.description).joined(separator: ", ")): pass --env, or the full slug as --key")
    }

    /// Turns a daemon answer into the value or the right error.
    public func resolve(_ lookup: GrantLookup) throws -> (GrantInfo, [UInt8]) {
        switch lookup {
        case .granted(let info, let value): return (info, value)
        case .locked(let s): throw locked(s)
        case .expired(let s): throw expired(s)
        case .absent: throw absent()
        case .ambiguous(let list): throw ambiguous(list)
        }
    }
}
