/// The stand-in a program holds instead of a value under `exec --proxy`: the same length and
/// shape, so a tool that checks a token's prefix (`ghs_`, `ASIA`) or its alphabet keeps working,
/// and random per run, so it says nothing of the value and last run's placeholder means nothing.
///
/// Shape: a known prefix is kept as it is; after it, each digit becomes a random digit, each
/// lower- and upper-case letter a random letter of its case, and other printable ASCII (`-`, `_`,
/// `/`, `+`, `=`, `.`) stays where it was. Anything else (space, control, non-ASCII) becomes a
/// random lower-case letter, byte for byte, so the length in bytes is the value's.
public enum Placeholder {
    /// Prefixes that tools and scanners read; longest first, so `github_pat_` wins over `gh…`.
    public static let knownPrefixes: [String] = [
        "github_pat_", "sk-ant-api03-", "sk-proj-", "sk_live_", "sk_test_", "rk_live_", "rk_test_", "pk_live_", "pk_test_",
        "glpat-", "xoxb-", "xoxp-", "xoxa-", "xoxs-", "xapp-", "ghs_", "ghp_", "gho_", "ghu_", "ghr_", "npm_", "pypi-",
        "ASIA", "AKIA", "AIza", "sk-", "hf_",
    ].sorted { $0.utf8.count > $1.utf8.count }

    /// A placeholder for `value` that equals no value or placeholder in `taken`, contains none of
    /// them and is contained in none (so one substitution can never be read as another). nil only
    /// when no such string of that length exists after many draws (a value of one or two bytes).
    public static func make<R: RandomNumberGenerator>(for value: [UInt8], avoiding taken: [[UInt8]], using rng: inout R) -> [UInt8]? {
        let prefix = knownPrefixes.lazy.map { Array($0.utf8) }.first { value.count > $0.count && value.starts(with: $0) } ?? []
        for attempt in 0..<64 {
            // After half the draws (a value whose shape leaves too little to vary), vary it all.
            let keep = attempt < 32 ? prefix.count : 0
            var out = Array(value[..<keep])
            out.reserveCapacity(value.count)
            for b in value[keep...] { out.append(attempt < 32 ? shaped(b, using: &rng) : alphanumeric(using: &rng)) }
            guard out != value, !taken.contains(where: { Bytes.overlaps(out, $0) }) else { continue }
            return out
        }
        return nil
    }

    private static let digits = Array("0123456789".utf8)
    private static let lower = Array("abcdefghijklmnopqrstuvwxyz".utf8)
    private static let upper = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)

    private static func shaped<R: RandomNumberGenerator>(_ b: UInt8, using rng: inout R) -> UInt8 {
        switch b {
        case 0x30...0x39: return digits.randomElement(using: &rng)!
        case 0x61...0x7a: return lower.randomElement(using: &rng)!
        case 0x41...0x5a: return upper.randomElement(using: &rng)!
        case 0x21...0x7e: return b
        default: return lower.randomElement(using: &rng)!
        }
    }

    private static func alphanumeric<R: RandomNumberGenerator>(using rng: inout R) -> UInt8 {
        (digits + lower + upper).randomElement(using: &rng)!
    }
}

/// Byte-string searches the proxy needs, without Foundation.
enum Bytes {
    /// Whether `a` contains `b` or `b` contains `a`.
    static func overlaps(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.count >= b.count ? contains(a, b) : contains(b, a)
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        firstIndex(of: needle, in: haystack[...]) != nil
    }

    static func firstIndex(of needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return needle.isEmpty ? haystack.startIndex : nil }
        var i = haystack.startIndex
        let last = haystack.endIndex - needle.count
        while i <= last {
            if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
