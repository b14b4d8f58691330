import Foundation
import KeyrackCore
import KeyrackYAML
import KeyrackNames

/// `set` and `del` keeping the repository's `.agent/keyrack.yml` in step, as the TypeScript
/// keyrack does: `set` adds the key's name to `env.<env>:` when absent, `del` removes its entry
/// (and the section when it empties). Never for `sudo` keys or `@all` keys (they are the owner's,
/// not the repository's), and only for keys of the file's own org. The file is edited as text,
/// line by line, so comments, order and the other entries stay exactly as they were; the result
/// must parse before it replaces the file (atomically).
public enum RepoFileEntries {
    public enum Change: Equatable, Sendable {
        case added(path: String, section: String)
        case removed(path: String, section: String)
        /// Nothing to do (already listed / not listed, or not the repository's key).
        case unchanged
    }

    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// The entry is in a form the text edit does not touch (a multi-line object, a flow list).
        case manualEdit(path: String, line: Int, name: String)
        case invalidResult(path: String, why: String)

        public var problem: String {
            switch self {
            case .manualEdit(let path, let line, let name): "\(path) line \(line): the entry of \(name) is not a one-line list item, which keyrack does not rewrite"
            case .invalidResult(let path, let why): "editing \(path) would leave it invalid (\(why)); it was left as it is"
            }
        }
        public var fix: String { "edit the file by hand" }
        public var description: String { "\(problem): \(fix)" }
    }

    /// Whether `slug` belongs in the repository file `file` at all.
    static func applies(_ slug: Slug, to file: RepoFile) -> Bool {
        !slug.envName.isSudo && slug.orgName.value != OrgName.all && slug.orgName.value == file.org
    }

    public static func add(_ slug: Slug, from directory: URL) throws -> Change {
        guard let (file, lines) = try load(from: directory), applies(slug, to: file) else { return .unchanged }
        let env = slug.envName.value, name = slug.key, header = "env.\(env):"
        if try RepoAllowlist.parse(file).sections[env]?.contains(name) == true { return .unchanged }
        var out = lines
        if let h = lines.firstIndex(where: { isHeader($0, header) }) {
            let rest = valuePart(lines[h], header)
            if rest.isEmpty || rest == "null" || rest == "~" || rest == "[]" {
                if !rest.isEmpty { out[h] = header + commentPart(lines[h]) }
                let end = sectionEnd(lines, after: h)
                out.insert(indent(of: lines, h, end) + "- \(name)", at: lastItem(lines, h, end).map { $0 + 1 } ?? h + 1)
            } else if rest.hasPrefix("[") {
                throw Failure.manualEdit(path: file.path, line: h + 1, name: name)
            } else {
                let end = sectionEnd(lines, after: h)
                let at = lastItem(lines, h, end).map { $0 + 1 } ?? h + 1
                out.insert(indent(of: lines, h, end) + "- \(name)", at: at)
            }
        } else {
            while out.last == "" { out.removeLast() }
            out += [header, "  - \(name)"]
        }
        try save(out, file: file)
        return .added(path: file.path, section: header.dropLast().description)
    }

    public static func remove(_ slug: Slug, from directory: URL) throws -> Change {
        guard let (file, lines) = try load(from: directory), applies(slug, to: file) else { return .unchanged }
        let env = slug.envName.value, name = slug.key, header = "env.\(env):"
        guard let h = lines.firstIndex(where: { isHeader($0, header) }) else { return .unchanged }
        let end = sectionEnd(lines, after: h)
        var out = lines
        var removedAny = false
        for i in stride(from: end - 1, to: h, by: -1) {
            let item = lines[i].trimmingCharacters(in: .whitespaces)
            guard item.hasPrefix("- ") else { continue }
            let body = String(item.dropFirst(2)).trimmingCharacters(in: .whitespaces)
            let bare = body.split(separator: "#", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? body
            if bare == name || bare.hasPrefix(name + ":") || bare.hasPrefix("{key: \(name),") || bare == "{key: \(name)}" {
                out.remove(at: i)
                removedAny = true
            } else if bare == "key: \(name)" {
                throw Failure.manualEdit(path: file.path, line: i + 1, name: name)
            }
        }
        guard removedAny else { return .unchanged }
        // The section emptied: drop its header (its comments stay), as the TypeScript keyrack does.
        let newEnd = sectionEnd(out, after: h)
        if lastItem(out, h, newEnd) == nil && valuePart(out[h], header).isEmpty { out.remove(at: h) }
        try save(out, file: file)
        return .removed(path: file.path, section: header.dropLast().description)
    }

    // MARK: text

    private static func load(from directory: URL) throws -> (RepoFile, [String])? {
        guard let file = try RepoFile.find(from: directory.path) else { return nil }
        guard let bytes = try FileSystem.read(URL(fileURLWithPath: file.path)) else { return nil }
        var lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return (file, lines)
    }

    private static func save(_ lines: [String], file: RepoFile) throws {
        let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
        do { _ = try RepoAllowlist.parse(try RepoFile.parse(bytes, path: file.path)) } catch let e as RepoFileError {
            throw Failure.invalidResult(path: file.path, why: e.message)
        }
        try FileSystem.writeAtomically(bytes, to: URL(fileURLWithPath: file.path), mode: 0o644)
    }

    private static func isHeader(_ line: String, _ header: String) -> Bool {
        line.hasPrefix(header) && (line.count == header.count || line.dropFirst(header.count).first?.isWhitespace == true)
    }

    private static func valuePart(_ line: String, _ header: String) -> String {
        let rest = String(line.dropFirst(header.count))
        return (rest.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "")
            .trimmingCharacters(in: .whitespaces)
    }

    private static func commentPart(_ line: String) -> String {
        guard let hash = line.firstIndex(of: "#") else { return "" }
        return " " + line[hash...]
    }

    /// The index after the section's last line: the next top-level line that is not a comment.
    private static func sectionEnd(_ lines: [String], after h: Int) -> Int {
        var i = h + 1
        while i < lines.count {
            let line = lines[i]
            if let first = line.first, !first.isWhitespace, first != "#", first != "-" { break }
            i += 1
        }
        return i
    }

    /// The last line that is part of an entry (not blank, not only a comment) in the section.
    private static func lastItem(_ lines: [String], _ h: Int, _ end: Int) -> Int? {
        stride(from: end - 1, to: h, by: -1).first { i in
            let t = lines[i].trimmingCharacters(in: .whitespaces)
            return !t.isEmpty && !t.hasPrefix("#")
        }
    }

    /// The indentation of the section's first item, two spaces by default.
    private static func indent(of lines: [String], _ h: Int, _ end: Int) -> String {
        for i in (h + 1)..<max(end, h + 1) where lines[i].trimmingCharacters(in: .whitespaces).hasPrefix("- ") {
            return String(lines[i].prefix { $0 == " " })
        }
        return "  "
    }
}
