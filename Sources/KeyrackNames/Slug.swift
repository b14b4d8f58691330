/// `ORG.ENV.KEY`, the name of one key: org is the first part, env the second, and the key name
/// is the rest (key names may hold inner dots, never at an end nor doubled, so the three parts
/// always split back unambiguously). One type over one grammar for the manifest, the daemon and
/// the Foundation-free `get` path; the core adds its typed names and worded errors on top.
public struct Slug: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let org: String
    public let env: String
    public let key: String

    /// nil unless each part obeys its rule (NameRules).
    public init?(org: String, env: String, key: String) {
        guard NameRules.isValidOrg(org), NameRules.isValidEnv(env), NameRules.isValidKey(key) else { return nil }
        self.org = org
        self.env = env
        self.key = key
    }

    /// Parses a full slug; nil for anything else (a bare key name among them).
    public init?(parsing text: String) {
        let parts = text.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        self.init(org: String(parts[0]), env: String(parts[1]), key: String(parts[2]))
    }

    public var description: String { "\(org).\(env).\(key)" }

    /// The machine-wide-env fallback that answers a request for this slug: `ORG.all.KEY`. The
    /// daemon resolves it at lookup time, never by storing aliases.
    public var allFallback: Slug? { env == "all" ? nil : Slug(org: org, env: "all", key: key) }

    /// The order of the descriptions (`ORG.ENV.KEY` as text), compared in place: building both
    /// strings for every comparison was most of sorting an unlock's 10 000 keys. Every part is
    /// ASCII (NameRules), for which String's order is byte order.
    public static func < (a: Slug, b: Slug) -> Bool {
        let org = order(a.org, b.org, thenDot: true)
        if org != 0 { return org < 0 }
        let env = order(a.env, b.env, thenDot: true)
        if env != 0 { return env < 0 }
        return order(a.key, b.key, thenDot: false) < 0
    }

    /// Byte order of `x` and `y`, each followed by a "." when `thenDot` (as in the description):
    /// negative, zero (equal) or positive.
    private static func order(_ x: String, _ y: String, thenDot: Bool) -> Int {
        var i = x.utf8.makeIterator(), j = y.utf8.makeIterator()
        let dot = UInt8(ascii: ".")
        while true {
            switch (i.next(), j.next()) {
            case (nil, nil): return 0
            case let (p?, q?): if p != q { return p < q ? -1 : 1 }
            // One part is a prefix of the other: the shorter one's next byte is its ".".
            case (nil, let q?): return thenDot && q < dot ? 1 : -1
            case (let p?, nil): return thenDot && p < dot ? -1 : 1
            }
        }
    }
}
