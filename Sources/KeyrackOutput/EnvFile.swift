import KeyrackClient
import KeyrackDaemon
import KeyrackNames
import KeyrackClient

/// An env file for `exec --env-file`, the dotenv syntax `source --format dotenv` writes:
///
///     # comments and blank lines are skipped; `export ` before a name is allowed
///     GITHUB_TOKEN=keyrack://ehmpathy.sudo.GITHUB_TOKEN     a key, from the owner's daemon
///     MY_KEY=keyrack://acme.test.my-key                     any key name, under a name you choose
///     REGION=eu-west-1                                      a plain value, passed as it is
///     GREETING='single quotes: every byte literal'
///     NOTE="double quotes: \n \r \\ \" escapes"
///
/// A quoted value may span lines (its newlines are part of it), as sh and python-dotenv read it:
/// that is how `source --format dotenv` writes a multi-line value.
/// The file names the variables, so a key whose name is no shell identifier is passed too.
public struct EnvFile: Sendable {
    public enum Value: Equatable, Sendable {
        case literal([UInt8])
        case reference(Slug)
    }

    public struct Entry: Equatable, Sendable {
        public var name: String
        public var value: Value
        public var line: Int

        public init(name: String, value: Value, line: Int) {
            self.name = name
            self.value = value
            self.line = line
        }
    }

    public var path: String
    public var entries: [Entry]

    /// Parses the bytes of the file at `path` (named in errors); every problem is a usage error
    /// naming the file and line. Reading the file is KeyrackApp's (`EnvFile.read`).
    public init(path: String, bytes: [UInt8]) throws {
        self.path = path
        entries = []
        var cursor = Cursor(bytes: bytes)
        while !cursor.atEnd {
            if let entry = try Self.parseEntry(&cursor, path: path) { entries.append(entry) }
        }
    }

    /// The slugs the file refers to, in order.
    public var references: [Slug] {
        entries.compactMap { if case .reference(let s) = $0.value { return s } else { return nil } }
    }

    /// The variables of `files`, references resolved from `owner`'s daemon in one GET (all or
    /// nothing: exit 3 before anything runs). A name set twice, in the files or by them and
    /// --env (`alongside`), is a usage error: which one wins would be a guess.
    public static func resolve(_ files: [EnvFile], owner: String, allowDangerous: Bool,
                        alongside taken: [String]) throws -> [(name: String, value: [UInt8], granted: Bool)] {
        var seen: [String: String] = Dictionary(taken.map { ($0, "a key of the env") }, uniquingKeysWith: { a, _ in a })
        for file in files {
            for e in file.entries {
                if let earlier = seen[e.name] {
                    throw UsageError("\(file.path) line \(e.line) sets \(e.name), which \(earlier) sets already: keep one")
                }
                // A name that changes a shell or the loader (EnvironmentNames): the file is the
                // user's own choice, as --key is, so --allow-dangerous lets it in, nothing else.
                if let what = EnvironmentNames.reason(e.name), !allowDangerous {
                    throw OutputRefusal(.refused, "\(file.path) line \(e.line) sets \(e.name), which \(what)", remedy: .allowDangerous)
                }
                seen[e.name] = earlier(file, e)
            }
        }
        let values = try SecretReference.resolve(owner: owner, slugs: files.flatMap(\.references), allowDangerous: allowDangerous)
        var out: [(name: String, value: [UInt8], granted: Bool)] = []
        for e in files.flatMap(\.entries) {
            switch e.value {
            case .literal(let v):
                out.append((e.name, v, false))
            case .reference(let slug):
                let v = values[slug]!
                // No environment variable can hold a NUL byte.
                if v.contains(0) { throw OutputRefusal(.refused, "\(slug) contains a NUL byte, which no environment variable can hold", remedy: .theValueAlone) }
                out.append((e.name, v, true))
            }
        }
        return out
    }

    private static func earlier(_ file: EnvFile, _ e: Entry) -> String { "\(file.path) line \(e.line)" }

    /// The file's bytes, read from `index` on; `line` is the line `index` is on.
    struct Cursor {
        let bytes: [UInt8]
        var index = 0
        var line = 1
        var atEnd: Bool { index >= bytes.count }
        var peek: UInt8? { atEnd ? nil : bytes[index] }
        mutating func next() -> UInt8? {
            guard let b = peek else { return nil }
            index += 1
            if b == 0x0a { line += 1 }
            return b
        }
        mutating func skipBlanks() { while peek == 0x20 || peek == 0x09 { index += 1 } }
        /// The rest of this line (its LF consumed), without a CR before the LF.
        mutating func restOfLine() -> ArraySlice<UInt8> {
            let start = index
            while let b = peek, b != 0x0a { index += 1 }
            var rest = bytes[start..<index]
            _ = next()
            if rest.last == 0x0d { rest = rest.dropLast() }
            return rest
        }
    }

    /// One entry from the start of a line, or nil for a blank or comment line; the cursor ends at
    /// the start of the next line.
    private static func parseEntry(_ c: inout Cursor, path: String) throws -> Entry? {
        let line = c.line
        func fail(_ why: String) -> UsageError { UsageError("\(path) line \(line): \(why)") }
        c.skipBlanks()
        if c.peek == UInt8(ascii: "#") || c.peek == 0x0a || c.peek == 0x0d || c.atEnd {
            _ = c.restOfLine()
            return nil
        }
        if c.bytes[c.index...].starts(with: Array("export ".utf8)) { c.index += 7; c.skipBlanks() }
        let nameStart = c.index
        while let b = c.peek, b != UInt8(ascii: "="), b != 0x0a { c.index += 1 }
        guard c.peek == UInt8(ascii: "=") else { throw fail("want NAME=VALUE or NAME=keyrack://ORG.ENV.KEY") }
        let name = String(decoding: c.bytes[nameStart..<c.index], as: UTF8.self)
        guard TextFormat.isShellIdentifier(name) else {
            throw fail("'\(name.prefix(60))' is not a variable name (want [A-Za-z_][A-Za-z0-9_]*)")
        }
        c.index += 1
        let value = try unquote(&c, fail: fail)
        if value.starts(with: Array(SecretReference.scheme.utf8)) {
            let rest = String(decoding: value.dropFirst(SecretReference.scheme.utf8.count), as: UTF8.self)
            guard let slug = SecretReference.slug(rest) else { throw fail("\(SecretReference.scheme)\(rest.prefix(60)) is not ORG.ENV.KEY") }
            return Entry(name: name, value: .reference(slug), line: line)
        }
        return Entry(name: name, value: .literal(value), line: line)
    }

    /// `'…'` literal, `"…"` with escapes (either may span lines), or bare to the end of the line
    /// (trailing blanks and a ` # comment` dropped).
    private static func unquote(_ c: inout Cursor, fail: (String) -> UsageError) throws -> [UInt8] {
        /// After a closing quote: only blanks and a comment before the line ends.
        func endOfLine() throws {
            let tail = c.restOfLine().drop { $0 == 0x20 || $0 == 0x09 }
            guard tail.isEmpty || tail.first == UInt8(ascii: "#") else { throw fail("text after the closing quote") }
        }
        switch c.peek {
        case 0x27:
            _ = c.next()
            var out: [UInt8] = []
            while let b = c.next() {
                if b == 0x27 { try endOfLine(); return out }
                out.append(b)
            }
            throw fail("no closing ' quote")
        case 0x22:
            _ = c.next()
            var out: [UInt8] = []
            while let b = c.next() {
                if b == 0x22 { try endOfLine(); return out }
                if b == 0x5c, let e = c.next() {
                    switch e {
                    case UInt8(ascii: "n"): out.append(0x0a)
                    case UInt8(ascii: "r"): out.append(0x0d)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case 0x5c, 0x22: out.append(e)
                    default: out += [0x5c, e]
                    }
                } else {
                    out.append(b)
                }
            }
            throw fail("no closing \" quote")
        default:
            let v = Array(c.restOfLine())
            var end = v.count
            for i in v.indices where v[i] == UInt8(ascii: "#") && i > 0 && (v[i - 1] == 0x20 || v[i - 1] == 0x09) { end = i; break }
            var out = Array(v[..<end])
            while let last = out.last, last == 0x20 || last == 0x09 { out.removeLast() }
            return out
        }
    }
}
