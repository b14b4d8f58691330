import Foundation
import KeyrackCore
import KeyrackDaemon

/// An env file for `exec --env-file`, the dotenv syntax `source --format dotenv` writes:
///
///     # comments and blank lines are skipped; `export ` before a name is allowed
///     GITHUB_TOKEN=keyrack://ehmpathy.sudo.GITHUB_TOKEN     a key, from the owner's daemon
///     MY_KEY=keyrack://acme.test.my-key                     any key name, under a name you choose
///     REGION=eu-west-1                                      a plain value, passed as it is
///     GREETING='single quotes: every byte literal'
///     NOTE="double quotes: \n \r \\ \" escapes"
///
/// The file names the variables, so a key whose name is no shell identifier is passed too.
struct EnvFile {
    enum Value: Equatable {
        case literal([UInt8])
        case reference(Slug)
    }

    struct Entry: Equatable {
        var name: String
        var value: Value
        var line: Int
    }

    var path: String
    var entries: [Entry]

    /// Reads and parses `path`; every problem is a usage error naming the file and line.
    init(path: String) throws {
        guard let bytes = try FileSystem.read(URL(fileURLWithPath: path)) else {
            throw UsageError("--env-file '\(path)' does not exist")
        }
        try self.init(path: path, bytes: bytes)
    }

    init(path: String, bytes: [UInt8]) throws {
        self.path = path
        entries = []
        for (index, raw) in bytes.split(separator: 0x0a, omittingEmptySubsequences: false).enumerated() {
            if let entry = try Self.parse(Array(raw), line: index + 1, path: path) { entries.append(entry) }
        }
    }

    /// The slugs the file refers to, in order.
    var references: [Slug] {
        entries.compactMap { if case .reference(let s) = $0.value { return s } else { return nil } }
    }

    /// The variables of `files`, references resolved from `owner`'s daemon in one GET (all or
    /// nothing: exit 3 before anything runs). A name set twice, in the files or by them and
    /// --env (`alongside`), is a usage error: which one wins would be a guess.
    static func resolve(_ files: [EnvFile], owner: String, allowDangerous: Bool,
                        alongside taken: [String]) throws -> [(name: String, value: [UInt8], granted: Bool)] {
        var seen: [String: String] = Dictionary(taken.map { ($0, "--env") }, uniquingKeysWith: { a, _ in a })
        for file in files {
            for e in file.entries {
                if let earlier = seen[e.name] {
                    throw UsageError("\(file.path) line \(e.line) sets \(e.name), which \(earlier) sets already: keep one")
                }
                // A name that changes a shell or the loader (EnvironmentNames): the file is the
                // user's own choice, as --key is, so --allow-dangerous lets it in, nothing else.
                if EnvironmentNames.isDangerous(e.name) && !allowDangerous {
                    throw NotGranted(message: "\(file.path) line \(e.line) sets \(e.name), which changes how a shell or the loader behaves; pass --allow-dangerous if you mean it", code: "refused")
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
                if v.contains(0) { throw NotGranted(message: "\(slug) contains a NUL byte, which no environment variable can hold: use `keyrack get --value` instead", code: "refused") }
                out.append((e.name, v, true))
            }
        }
        return out
    }

    private static func earlier(_ file: EnvFile, _ e: Entry) -> String { "\(file.path) line \(e.line)" }

    private static func parse(_ raw: [UInt8], line: Int, path: String) throws -> Entry? {
        func fail(_ why: String) -> UsageError { UsageError("\(path) line \(line): \(why)") }
        var text = raw[...]
        if text.last == 0x0d { text = text.dropLast() }
        text = text.drop { $0 == 0x20 || $0 == 0x09 }
        if text.isEmpty || text.first == UInt8(ascii: "#") { return nil }
        if text.starts(with: Array("export ".utf8)) { text = text.dropFirst(7).drop { $0 == 0x20 } }
        guard let eq = text.firstIndex(of: UInt8(ascii: "=")) else { throw fail("want NAME=VALUE or NAME=keyrack://ORG.ENV.KEY") }
        let name = String(decoding: text[..<eq], as: UTF8.self)
        guard TextFormat.isShellIdentifier(name) else {
            throw fail("'\(name.prefix(60))' is not a variable name (want [A-Za-z_][A-Za-z0-9_]*)")
        }
        let value = try unquote(Array(text[text.index(after: eq)...]), fail: fail)
        if value.starts(with: Array(SecretReference.scheme.utf8)) {
            let rest = String(decoding: value.dropFirst(SecretReference.scheme.utf8.count), as: UTF8.self)
            guard let slug = SecretReference.slug(rest) else { throw fail("\(SecretReference.scheme)\(rest.prefix(60)) is not ORG.ENV.KEY") }
            return Entry(name: name, value: .reference(slug), line: line)
        }
        return Entry(name: name, value: .literal(value), line: line)
    }

    /// `'…'` literal, `"…"` with escapes, or bare (trailing blanks and a ` # comment` dropped).
    private static func unquote(_ v: [UInt8], fail: (String) -> UsageError) throws -> [UInt8] {
        func rest(after end: Int) throws {
            let tail = v[(end + 1)...].drop { $0 == 0x20 || $0 == 0x09 }
            guard tail.isEmpty || tail.first == UInt8(ascii: "#") else { throw fail("text after the closing quote") }
        }
        switch v.first {
        case 0x27:
            guard let end = v.dropFirst().firstIndex(of: 0x27) else { throw fail("no closing ' quote") }
            try rest(after: end)
            return Array(v[1..<end])
        case 0x22:
            var out: [UInt8] = []
            var i = 1
            while i < v.count {
                let b = v[i]
                if b == 0x22 { try rest(after: i); return out }
                if b == 0x5c, i + 1 < v.count {
                    i += 1
                    switch v[i] {
                    case UInt8(ascii: "n"): out.append(0x0a)
                    case UInt8(ascii: "r"): out.append(0x0d)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case 0x5c, 0x22: out.append(v[i])
                    default: out += [0x5c, v[i]]
                    }
                } else {
                    out.append(b)
                }
                i += 1
            }
            throw fail("no closing \" quote")
        default:
            var end = v.count
            for i in v.indices where v[i] == UInt8(ascii: "#") && i > 0 && (v[i - 1] == 0x20 || v[i - 1] == 0x09) { end = i; break }
            var out = Array(v[..<end])
            while let last = out.last, last == 0x20 || last == 0x09 { out.removeLast() }
            return out
        }
    }
}

