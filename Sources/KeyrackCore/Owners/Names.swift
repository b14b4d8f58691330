// The names a user types (owners, envs, orgs, key names, labels) and the rules they obey. Every
// rule is checked byte by byte on ASCII, so no Unicode look-alike, path separator or dot-dot can
// slip through into a file name or a slug. The owner and org rules are KeyrackNames', shared with
// the Foundation-free `get` path.

import KeyrackNames

@inline(__always) private func isLower(_ b: UInt8) -> Bool { b >= 0x61 && b <= 0x7a }
@inline(__always) private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

/// An owner: `human` or a robot name. `^[a-z][a-z0-9-]{0,62}$` — it becomes part of file names
/// (`host.<owner>.yml.age`, `locks/<owner>.lock`), so nothing else is let in.
public struct OwnerName: Hashable, Sendable, CustomStringConvertible {
    public let value: String
    public static let human = OwnerName(unchecked: "human")

    public init(_ value: String) throws {
        guard NameRules.isValidOwner(value) else { throw KeyrackError.usage(NameRules.invalidOwnerMessage(value)) }
        self.value = value
    }

    private init(unchecked: String) { value = unchecked }

    public var description: String { value }
}

/// An environment: `sudo`, `prod`, `prep`, `test`, `all`, or a custom `^[a-z][a-z0-9_-]*$`.
public struct EnvName: Hashable, Sendable, CustomStringConvertible {
    public let value: String
    public static let sudo = "sudo"
    public static let all = "all"

    public init(_ value: String) throws {
        guard NameRules.isValidEnv(value) else {
            throw KeyrackError.usage("invalid env '\(value.prefix(80))': use sudo, prod, prep, test, all, or a custom name of a-z, 0-9, '_' and '-' starting with a letter")
        }
        self.value = value
    }

    fileprivate init(unchecked value: String) { self.value = value }

    public var isSudo: Bool { value == EnvName.sudo }
    public var description: String { value }
}

/// An org: `@all` (machine-wide) or `^[a-z0-9][a-z0-9_-]{0,62}$`. No dots: the org is the first
/// segment of a slug.
public struct OrgName: Hashable, Sendable, CustomStringConvertible {
    public let value: String
    public static let all = "@all"

    public init(_ value: String) throws {
        guard NameRules.isValidOrg(value) else { throw KeyrackError.usage(NameRules.invalidOrgMessage(value)) }
        self.value = value
    }

    fileprivate init(unchecked value: String) { self.value = value }

    public var description: String { value }
}

/// A key name such as `GITHUB_TOKEN`. Dots are allowed inside (a slug's key part may hold them),
/// but not at either end nor doubled, so `ORG.ENV.KEY` always splits back unambiguously.
public struct KeyName: Hashable, Sendable, CustomStringConvertible {
    public let value: String

    public init(_ value: String) throws {
        guard NameRules.isValidKey(value) else {
            throw KeyrackError.usage("invalid key name '\(value.prefix(80))': use letters, digits, '_', '-' and inner '.', starting with a letter or '_' (e.g. GITHUB_TOKEN)")
        }
        self.value = value
    }

    fileprivate init(unchecked value: String) { self.value = value }

    public var description: String { value }
}

/// The slug (KeyrackNames) from the core's typed names, and parsed with the core's worded errors.
extension Slug {
    /// Each part has passed its NameRules rule already, so the slug exists.
    public init(org: OrgName, env: EnvName, key: KeyName) {
        self.init(org: org.value, env: env.value, key: key.value)!
    }

    /// Parses a full slug, saying which part is wrong and how.
    public init(validating text: String) throws {
        guard let parts = Slug.split(text) else {
            throw KeyrackError.usage("invalid slug '\(text.prefix(80))': want ORG.ENV.KEY, e.g. ehmpathy.sudo.GITHUB_TOKEN")
        }
        self.init(org: try OrgName(String(parts.org)), env: try EnvName(String(parts.env)), key: try KeyName(String(parts.key)))
    }

    // A slug exists only with valid parts, so its parts are the typed names as they are.
    public var orgName: OrgName { OrgName(unchecked: org) }
    public var envName: EnvName { EnvName(unchecked: env) }
    public var keyName: KeyName { KeyName(unchecked: key) }
}

/// A recipient label (`primary`, `paper-backup`, `laptop-2`).
public struct RecipientLabel: Hashable, Sendable, CustomStringConvertible {
    public let value: String
    public static let primary = "primary"

    public init(_ value: String) throws {
        let bytes = Array(value.utf8)
        guard (1...63).contains(bytes.count), isLower(bytes[0]) || isDigit(bytes[0]),
              bytes.allSatisfy({ isLower($0) || isDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }) else {
            throw KeyrackError.usage("invalid label '\(value.prefix(80))': use 1–63 characters of a-z, 0-9, '-', '_' and '.' (e.g. paper-backup)")
        }
        self.value = value
    }

    public var description: String { value }
}

/// An unlock-TTL cap such as `30m`, `9h`, `1h30m`, `1d` (KeyrackNames' `DurationGrammar`): a
/// positive number of seconds, at most 30 days.
public struct Duration: Hashable, Sendable, CustomStringConvertible {
    public let text: String
    public let seconds: Int
    public static let maxSeconds = 720 * 3600

    public init(_ text: String) throws {
        guard let seconds = DurationGrammar.seconds(text), seconds > 0, seconds <= Duration.maxSeconds else {
            throw KeyrackError.usage("invalid duration '\(text.prefix(40))': \(DurationGrammar.hint) (at most 30d)")
        }
        self.text = text
        self.seconds = seconds
    }

    public var description: String { text }
}
