#if canImport(Glibc)
import Glibc
#endif
import KeyrackNames

/// A repository's `.agent/keyrack.yml`, found and read without Foundation.
///
/// Two readers need it: `set` (only its `org:`) and `get`/`exec`/`source` (its `env.<name>:`
/// allowlist). `keyrack get` runs hundreds of times in one agent task and must not load
/// Foundation, so the search, the read and the parse live here, in plain POSIX calls, and
/// KeyrackCore wraps them; the fast path and the full CLI therefore cannot disagree on which file
/// applies or what it says.
public struct RepoFile: Sendable {
    /// The file's absolute path.
    public var path: String
    /// The repository's org, checked by `NameRules.isValidOrg`.
    public var org: String
    /// The whole document, for readers that want more than `org:`.
    public var root: YAMLNode

    /// Finds `.agent/keyrack.yml` from `directory` upward, stopping at the git root (the first
    /// directory holding `.git`); outside a repository only `directory` itself is looked at.
    public static func find(from directory: String) throws -> RepoFile? {
        try locate(from: directory)?.file
    }

    /// `find`, with the directory `extends:` paths start from: the git root, or outside a
    /// repository the directory holding `.agent`. One walk up: the git root is looked for once
    /// (one `lstat` per level) and the search for the file stops there, rather than asking for
    /// `.git` again at every level and once more from the file's directory (`keyrack get` runs
    /// this on every call, and from a repository's root it is now an `lstat` and an `open`).
    static func locate(from directory: String) throws -> (file: RepoFile, root: String)? {
        var dir = normalized(directory)
        let root = gitRoot(from: dir)
        while true {
            let candidate = join(dir, ".agent/keyrack.yml")
            if let bytes = try read(candidate) {
                // The git root is at or above `dir`, so it is the one `dir` itself would find.
                return (try parse(bytes, path: candidate), root ?? dir)
            }
            guard let root, dir != root, dir != "/" else { return nil }
            dir = parent(dir)
        }
    }

    static func gitRoot(from directory: String) -> String? {
        var dir = directory
        while true {
            if exists(join(dir, ".git")) { return dir }
            if dir == "/" { return nil }
            dir = parent(dir)
        }
    }

    /// Parses the file: a mapping with a valid `org:`. Other fields are kept in `root`, not checked.
    public static func parse(_ bytes: [UInt8], path: String) throws -> RepoFile {
        do {
            let root = try YAMLParser.parse(bytes)
            var fields = try YAMLFields(root, path: "keyrack.yml")
            guard let org = try fields.optionalString("org") else {
                throw RepoFileError.noOrg(path: path)
            }
            guard NameRules.isValidOrg(org) else { throw RepoFileError.usage("\(path): \(NameRules.invalidOrgMessage(org))") }
            return RepoFile(path: path, org: org, root: root)
        } catch let error as YAMLError {
            throw RepoFileError.usage("\(path) is not valid: \(error)")
        }
    }

    // MARK: paths, POSIX only

    /// Absolute, without `.`/`..` segments or doubled slashes (as Foundation's standardized URL,
    /// which does not resolve symlinks either).
    static func normalized(_ path: String) -> String {
        // What getcwd returns is already in this form: checked byte by byte and returned as it
        // is, with no array of segments built and joined again.
        if isNormalized(path) { return path }
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Whether `path` is absolute with no empty, `.` or `..` segment and no trailing slash
    /// (so `normalized` would return it unchanged).
    static func isNormalized(_ path: String) -> Bool {
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        var bytes = path.utf8.makeIterator()
        guard bytes.next() == slash else { return false }
        var length = 0, dots = 0, any = false
        while true {
            let byte = bytes.next()
            if byte == nil || byte == slash {
                // The end of a segment: "" (a doubled or trailing slash), "." and ".." are not normal.
                if length == 0 { return byte == nil && !any }
                if dots == length && length <= 2 { return false }
                if byte == nil { return true }
                length = 0; dots = 0; any = true
            } else {
                length += 1
                if byte == dot { dots += 1 }
            }
        }
    }

    static func join(_ dir: String, _ name: String) -> String { dir == "/" ? "/" + name : dir + "/" + name }

    static func parent(_ dir: String) -> String {
        guard let slash = dir.utf8.lastIndex(of: UInt8(ascii: "/")), slash != dir.utf8.startIndex else { return "/" }
        return String(dir[..<slash])
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// Largest repository file read: a list of key names is a few KiB.
    public static let maximumSize = 1 << 20

    /// The file's bytes, or nil when it does not exist: a regular file of at most 1 MiB (a
    /// FIFO or `/dev/zero` planted in a repository must not hang or exhaust `get`).
    static func read(_ path: String) throws -> [UInt8]? {
        do { return try BoundedFile.read(path, limit: maximumSize) } catch {
            if case .io = error { throw RepoFileError.failure("cannot read \(path): \(error.reason)") }
            throw RepoFileError.usage("cannot read \(path): \(error.reason)")
        }
    }
}

/// Why a repository file was refused. `usage` means the user can fix the file (exit 2);
/// `failure` is an I/O problem (exit 1). Messages name the path, never a value. The problem and
/// the remedy are apart, and the remedy names the file's contents, never a program's option (a
/// CLI words its own: keyrack's adds `--org`).
public enum RepoFileError: Error, Equatable, Sendable, CustomStringConvertible {
    case usage(String)
    case failure(String)
    /// The file has no `org:`.
    case noOrg(path: String)

    /// Whether the user can fix it in the file (exit 2) rather than an I/O failure (exit 1).
    public var isUsage: Bool {
        if case .failure = self { return false }
        return true
    }

    /// What went wrong; for `usage`/`failure`, with what to do in the file.
    public var problem: String {
        switch self {
        case .usage(let m), .failure(let m): return m
        case .noOrg(let path): return "\(path) has no org"
        }
    }

    /// What to do in the file, where it is apart from the problem.
    public var remedy: String? {
        if case .noOrg = self { return "add `org: <your-org>`" }
        return nil
    }

    public var message: String { remedy.map { "\(problem): \($0)" } ?? problem }

    public var description: String { message }
}
