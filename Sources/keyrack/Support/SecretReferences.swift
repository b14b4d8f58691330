import KeyrackClient
import KeyrackDaemon
import KeyrackNames

/// `keyrack://ORG.ENV.KEY`: how env files (`exec --env-file`) and templates (`inject`) name a key,
/// as `op://…` names a 1Password item. Always a full slug, so a file means the same key in any
/// directory and for any --env.
enum SecretReference {
    static let scheme = "keyrack://"

    /// The slug of `text` (what follows the scheme), or nil when it is not ORG.ENV.KEY (the key
    /// rule admits no whitespace nor `}`, so a reference ends where its key does).
    static func slug<S: StringProtocol>(_ text: S) -> Slug? { Slug(parsing: String(text)) }

    /// The values of `slugs` from `owner`'s daemon, in one GET, all or nothing: the first that is
    /// not granted (locked, absent, expired, refused, or not listed by the repository's
    /// .agent/keyrack.yml) fails the whole command before anything is written or run.
    static func resolve(owner: String, slugs: [Slug], allowDangerous: Bool) throws -> [Slug: [UInt8]] {
        var unique: [Slug] = []
        for s in slugs where !unique.contains(s) { unique.append(s) }
        guard !unique.isEmpty else { return [:] }
        // ValueFetch, the one client path of get, exec and source: allowlist, verified daemon,
        // firewall. No variable-name rule here: the file names the variable, or there is none.
        let fetch = try ValueFetch(owner: owner, allowDangerous: allowDangerous)
        let fetched = try fetch.values(unique.map { KeyRequest(owner: owner, key: $0.description, env: nil, org: nil) })
        return Dictionary(uniqueKeysWithValues: zip(unique, fetched.map(\.value)))
    }
}
