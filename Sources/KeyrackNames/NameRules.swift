// The byte-level rules of the names that become parts of file names and slugs. They live in a
// module of their own, without Foundation, so the `keyrack get` fast path (KeyrackClient), the
// repository-file reader (KeyrackYAML) and the core's typed names (KeyrackCore) apply one rule
// each instead of copies that could drift. Each walks the UTF-8 view once without copying it:
// a manifest's every slug passes three of them, and an array per check was a tenth of its reading.

// Usable from inline: the generic rules below are inlinable, so other modules specialise them
// for String and Substring instead of running them through a protocol witness per byte.
@usableFromInline @inline(__always) func isLower(_ b: UInt8) -> Bool { b >= 0x61 && b <= 0x7a }
@usableFromInline @inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
@usableFromInline @inline(__always) func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5a }

public enum NameRules {
    /// An owner: `^[a-z][a-z0-9-]{0,62}$`. It becomes part of file names (`host.<owner>.yml.age`,
    /// `daemon.<owner>.sock`), so nothing else is let in: no dot, slash or Unicode look-alike.
    public static func isValidOwner(_ name: String) -> Bool {
        var count = 0
        for b in name.utf8 {
            guard count == 0 ? isLower(b) : isLower(b) || isDigit(b) || b == UInt8(ascii: "-") else { return false }
            count += 1
        }
        return (1...63).contains(count)
    }

    public static func invalidOwnerMessage(_ name: String) -> String {
        "invalid owner name '\(name.prefix(80))': use 1–63 characters of a-z, 0-9 and '-', starting with a letter (e.g. seaturtle)"
    }

    /// An org: `@all` or `^[a-z0-9][a-z0-9_-]{0,62}$`. No dots: the org is the first segment of
    /// a slug.
    public static func isValidOrg(_ value: String) -> Bool {
        if value == "@all" { return true }
        return isValidOrg(utf8: value.utf8)
    }

    /// `isValidOrg` of a name's UTF-8 (a manifest reader's bytes, before any String is made).
    @inlinable public static func isValidOrg<C: Collection>(utf8 value: C) -> Bool where C.Element == UInt8 {
        var count = 0
        for b in value {
            guard isLower(b) || isDigit(b) || (count > 0 && (b == UInt8(ascii: "_") || b == UInt8(ascii: "-"))) else { return false }
            count += 1
        }
        return (1...63).contains(count)
    }

    /// An env: `sudo`, `prod`, `prep`, `test`, `all` or a custom `^[a-z][a-z0-9_-]{0,62}$`. The
    /// daemon, the `get` fast path and the core's typed `EnvName` all ask this one rule.
    @inlinable public static func isValidEnv<S: StringProtocol>(_ value: S) -> Bool { isValidEnv(utf8: value.utf8) }

    /// `isValidEnv` of a name's UTF-8.
    @inlinable public static func isValidEnv<C: Collection>(utf8 value: C) -> Bool where C.Element == UInt8 {
        var count = 0
        for b in value {
            guard count == 0 ? isLower(b) : isLower(b) || isDigit(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") else { return false }
            count += 1
        }
        return (1...63).contains(count)
    }

    public static func invalidOrgMessage(_ value: String) -> String {
        "invalid org '\(value.prefix(80))': use @all or a name of a-z, 0-9, '_' and '-' (e.g. ehmpathy)"
    }

    /// A key name such as `GITHUB_TOKEN`: 1–128 of letters, digits, '_', '-' and inner '.',
    /// starting with a letter or '_'. Dots never at an end nor doubled, so `ORG.ENV.KEY` splits
    /// back unambiguously.
    @inlinable public static func isValidKey<S: StringProtocol>(_ value: S) -> Bool { isValidKey(utf8: value.utf8) }

    /// The key rule over UTF-8 bytes not yet made a String (the daemon reading an unlock's keys
    /// from the frame: checked first, the String made only of bytes that pass).
    @inlinable public static func isValidKey<C: Collection>(utf8: C) -> Bool where C.Element == UInt8 {
        var count = 0
        var previous: UInt8 = 0
        for b in utf8 {
            if count == 0 {
                guard isUpper(b) || isLower(b) || b == UInt8(ascii: "_") else { return false }
            } else {
                guard isUpper(b) || isLower(b) || isDigit(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") else { return false }
                if b == UInt8(ascii: "."), previous == b { return false }
            }
            previous = b
            count += 1
        }
        return (1...128).contains(count) && previous != UInt8(ascii: ".")
    }
}
