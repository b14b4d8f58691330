// The tiny document tree between libyaml and the typed manifest. It keeps only what keyrack's
// files use (scalars, sequences, mappings) plus the facts the typed layer needs to be strict:
// whether a scalar was quoted (so `"null"` stays a string), its tag (for `!!binary` secrets), and
// its line (so every refusal can point at the place in the file).

/// A scalar's text and how it was written.
public struct YAMLScalar: Equatable, Sendable {
    public enum Style: Equatable, Sendable {
        /// Unquoted: subject to YAML's implicit typing (`null`, `~`, empty mean null).
        case plain
        /// Single- or double-quoted, or a block scalar: always a string.
        case quoted
    }

    /// The scalar's value as raw UTF-8 bytes, exactly as libyaml decoded it (NUL included).
    public var bytes: [UInt8]
    public var style: Style
    /// The resolved tag when one was written explicitly (`tag:yaml.org,2002:binary`), else nil.
    public var tag: String?

    public init(_ text: String, style: Style = .plain, tag: String? = nil) {
        self.bytes = Array(text.utf8)
        self.style = style
        self.tag = tag
    }

    public init(bytes: [UInt8], style: Style, tag: String? = nil) {
        self.bytes = bytes
        self.style = style
        self.tag = tag
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// YAML 1.2 core-schema null: only unquoted, untagged `null`, `Null`, `NULL`, `~` or nothing.
    public var isNull: Bool {
        style == .plain && tag == nil && YAMLScalar.isNullText(bytes)
    }

    /// Whether `bytes` is one of the core schema's spellings of null (for a plain, untagged scalar).
    public static func isNullText(_ bytes: some Collection<UInt8>) -> Bool {
        switch bytes.count {
        case 0: return true
        case 1: return bytes.first == UInt8(ascii: "~")
        case 4: return nullSpellings.contains { bytes.elementsEqual($0) }
        default: return false
        }
    }

    private static let nullSpellings: [[UInt8]] = ["null", "Null", "NULL"].map { Array($0.utf8) }
}

/// One node of a parsed document.
public indirect enum YAMLNode: Equatable, Sendable {
    case scalar(YAMLScalar, line: Int)
    case sequence([YAMLNode], line: Int)
    /// Keys are scalars (the parser refuses complex keys); order is the file's order.
    case mapping([YAMLPair], line: Int)

    public var line: Int {
        switch self {
        case .scalar(_, let line), .sequence(_, let line), .mapping(_, let line): return line
        }
    }

    /// Convenience constructors for building documents to emit (lines are irrelevant there).
    public static func string(_ s: String) -> YAMLNode { .scalar(YAMLScalar(s, style: .quoted), line: 0) }
    public static func map(_ pairs: [(String, YAMLNode)]) -> YAMLNode {
        .mapping(pairs.map { YAMLPair(key: $0.0, value: $0.1) }, line: 0)
    }
    public static func list(_ items: [YAMLNode]) -> YAMLNode { .sequence(items, line: 0) }
    public static func int(_ n: Int) -> YAMLNode { .scalar(YAMLScalar(String(n), style: .plain), line: 0) }
    public static func bool(_ b: Bool) -> YAMLNode { .scalar(YAMLScalar(b ? "true" : "false", style: .plain), line: 0) }
    public static let null = YAMLNode.scalar(YAMLScalar("null", style: .plain), line: 0)
}

/// A mapping entry. The key is a string: keyrack's files never use anything else.
public struct YAMLPair: Equatable, Sendable {
    public var key: String
    public var keyLine: Int
    public var value: YAMLNode

    public init(key: String, keyLine: Int = 0, value: YAMLNode) {
        self.key = key
        self.keyLine = keyLine
        self.value = value
    }
}

/// Why a YAML document was refused. Messages name the line and never echo a value (a value might
/// be a secret).
/// Why a keyrack file was refused, as PIVError says it: the problem, and apart from it the fix
/// when the reader knows one in terms of the file itself (an alias to write out, a newer
/// keyrack to install). Without a fix the caller's remedy applies: it knows which file this is
/// and who writes it (a damaged manifest is restored, not edited). Never a keyrack command or
/// option, never a value (a field that may hold one is named, not shown).
public struct YAMLError: Error, Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    /// What is wrong, without what to do about it.
    public var problem: String
    /// What to do about it, when the reader knows.
    public var fix: String?

    public init(line: Int, _ problem: String, fix: String? = nil) {
        self.line = line
        self.problem = problem
        self.fix = fix
    }

    /// The problem, then the fix: one line.
    public var message: String { fix.map { "\(problem): \($0)" } ?? problem }

    public var description: String { line > 0 ? "line \(line): \(message)" : message }
}

extension YAMLError {
    /// A file of a version this keyrack does not read: `what` is the file's kind ("manifest").
    public static func newerVersion(_ what: String, version: Int, reads current: Int, fix: String = "upgrade keyrack") -> YAMLError {
        YAMLError(line: 1, "\(what) version \(version) was written by a newer keyrack (this one reads version \(current))", fix: fix)
    }
}
