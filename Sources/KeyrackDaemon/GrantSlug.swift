import KeyrackNames

/// `ORG.ENV.KEY`, split the way keyrack reads it everywhere: org is the first part, env the
/// second, and the key name is the rest (key names may contain dots). Kept in this module because
/// the daemon resolves the `ORG.all.KEY` fallback itself, at lookup time, never by storing aliases.
public struct GrantSlug: Hashable, Sendable, CustomStringConvertible {
    public let org: String
    public let env: String
    public let name: String

    public init(org: String, env: String, name: String) {
        self.org = org
        self.env = env
        self.name = name
    }

    /// Parses a full slug; nil for a bare key name (fewer than three parts, or a second part
    /// that is not an env name).
    public init?(parsing text: String) {
        let parts = text.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[2].isEmpty, GrantSlug.isEnvName(parts[1]) else { return nil }
        org = String(parts[0])
        env = String(parts[1])
        name = String(parts[2])
    }

    public var description: String { "\(org).\(env).\(name)" }

    /// The machine-wide-env fallback that answers a request for this slug: `ORG.all.KEY`.
    public var allFallback: GrantSlug? { env == "all" ? nil : GrantSlug(org: org, env: "all", name: name) }

    /// The env rule of KeyrackNames (`^[a-z][a-z0-9_-]{0,62}$`), the one every path applies.
    public static func isEnvName<S: StringProtocol>(_ s: S) -> Bool { NameRules.isValidEnv(s) }
}
