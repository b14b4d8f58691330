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

    /// Parts the caller has checked by the same rules (`init?(utf8:)`, on their bytes).
    init(checkedOrg org: String, env: String, key: String) {
        self.org = org
        self.env = env
        self.key = key
    }

    /// Parses a full slug; nil for anything else (a bare key name among them).
    public init?(parsing text: String) {
        // From the two dots' indices, not `split`'s optional tuple of Substrings: the first
        // destroy of that tuple set up its metadata at run time, 44 K instructions of the
        // 300 K a `keyrack get` runs (callgrind).
        guard let (first, second) = Slug.dots(text) else { return nil }
        let utf8 = text.utf8
        self.init(org: String(text[..<first]), env: String(text[utf8.index(after: first)..<second]), key: String(text[utf8.index(after: second)...]))
    }

    /// The indices of `text`'s first two dots; nil with fewer than two.
    static func dots(_ text: String) -> (String.Index, String.Index)? {
        let utf8 = text.utf8
        let dot = UInt8(ascii: ".")
        guard let first = utf8.firstIndex(of: dot), let second = utf8[utf8.index(after: first)...].firstIndex(of: dot) else { return nil }
        return (first, second)
    }

    /// `text` cut at its first two dots (the key may hold more), as
    /// `split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)` cuts it; nil
    /// with fewer than two. By bytes: a dot is one byte in UTF-8, and String's own split walks
    /// Characters, which was most of reading a manifest's 20 000 slugs.
    public static func split(_ text: String) -> (org: Substring, env: Substring, key: Substring)? {
        guard let (first, second) = dots(text) else { return nil }
        let utf8 = text.utf8
        return (text[..<first], text[utf8.index(after: first)..<second], text[utf8.index(after: second)...])
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
    /// negative, zero (equal) or positive. Over the strings' contiguous UTF-8 in place (an
    /// iterator per byte was most of sorting 10 000 slugs).
    private static func order(_ x: String, _ y: String, thenDot: Bool) -> Int {
        var x = x, y = y
        return x.withUTF8 { p in
            y.withUTF8 { q in
                let n = Swift.min(p.count, q.count)
                var i = 0
                while i < n {
                    if p[i] != q[i] { return p[i] < q[i] ? -1 : 1 }
                    i += 1
                }
                if p.count == q.count { return 0 }
                // One part is a prefix of the other: the shorter one's next byte is its ".".
                let dot = UInt8(ascii: ".")
                if p.count < q.count { return thenDot && q[n] < dot ? 1 : -1 }
                return thenDot && p[n] < dot ? -1 : 1
            }
        }
    }
}
