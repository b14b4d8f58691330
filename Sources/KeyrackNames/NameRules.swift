// The byte-level rules of the names that become parts of file names and slugs. They live in a
// module of their own, without Foundation, so the `keyrack get` fast path (KeyrackClient), the
// repository-file reader (KeyrackYAML) and the core's typed names (KeyrackCore) apply one rule
// each instead of copies that could drift.

@inline(__always) private func isLower(_ b: UInt8) -> Bool { b >= 0x61 && b <= 0x7a }
@inline(__always) private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
@inline(__always) private func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5a }

public enum NameRules {
    /// An owner: `^[a-z][a-z0-9-]{0,62}$`. It becomes part of file names (`host.<owner>.yml.age`,
    /// `daemon.<owner>.sock`), so nothing else is let in: no dot, slash or Unicode look-alike.
    public static func isValidOwner(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count), isLower(bytes[0]) else { return false }
        return bytes.allSatisfy { isLower($0) || isDigit($0) || $0 == UInt8(ascii: "-") }
    }

    public static func invalidOwnerMessage(_ name: String) -> String {
        "invalid owner name '\(name.prefix(80))': use 1–63 characters of a-z, 0-9 and '-', starting with a letter (e.g. seaturtle)"
    }

    /// An org: `@all` or `^[a-z0-9][a-z0-9_-]{0,62}$`. No dots: the org is the first segment of
    /// a slug.
    public static func isValidOrg(_ value: String) -> Bool {
        if value == "@all" { return true }
        let bytes = Array(value.utf8)
        func lowerOrDigit(_ b: UInt8) -> Bool { isLower(b) || isDigit(b) }
        return (1...63).contains(bytes.count) && lowerOrDigit(bytes[0])
            && bytes.allSatisfy { lowerOrDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// An env: `sudo`, `prod`, `prep`, `test`, `all` or a custom `^[a-z][a-z0-9_-]{0,62}$`. The
    /// daemon, the `get` fast path and the core's typed `EnvName` all ask this one rule.
    public static func isValidEnv<S: StringProtocol>(_ value: S) -> Bool {
        let bytes = Array(value.utf8)
        guard (1...63).contains(bytes.count), isLower(bytes[0]) else { return false }
        return bytes.allSatisfy { isLower($0) || isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    public static func invalidOrgMessage(_ value: String) -> String {
        "invalid org '\(value.prefix(80))': use @all or a name of a-z, 0-9, '_' and '-' (e.g. ehmpathy)"
    }

    /// A key name such as `GITHUB_TOKEN`: 1–128 of letters, digits, '_', '-' and inner '.',
    /// starting with a letter or '_'. Dots never at an end nor doubled, so `ORG.ENV.KEY` splits
    /// back unambiguously.
    public static func isValidKey<S: StringProtocol>(_ value: S) -> Bool {
        let bytes = Array(value.utf8)
        guard (1...128).contains(bytes.count), isUpper(bytes[0]) || isLower(bytes[0]) || bytes[0] == UInt8(ascii: "_"),
              bytes.last != UInt8(ascii: ".") else { return false }
        var previous: UInt8 = 0
        for b in bytes {
            guard isUpper(b) || isLower(b) || isDigit(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") else { return false }
            if b == UInt8(ascii: "."), previous == b { return false }
            previous = b
        }
        return true
    }
}
