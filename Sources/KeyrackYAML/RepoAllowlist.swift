/// The `env.<name>:` sections of a repository's `.agent/keyrack.yml`: which keys the repository
/// needs, and so the only keys `get`, `exec` and `source` hand out inside it. A key the file
/// does not list answers exactly as a key that does not exist, so a repository cannot probe the
/// owner's rack for names it was not given.
///
/// `sudo` keys and `@all` keys are never listed in a repository file (they are the owner's, not
/// the repo's), so they are outside the allowlist, as in the TypeScript keyrack.
///
/// Foundation-free, like RepoFile, because `keyrack get` reads it on every call; KeyrackCore adds
/// the URL-based `find(from:)` the full CLI uses.
public struct RepoAllowlist: Equatable, Sendable {
    public var org: String
    public var path: String
    /// Key names per env section, `all` included, in file order: the root file's, then those
    /// its `extends:` chain adds.
    public var sections: [String: [String]]
    /// `is-optional-if-has`: per env section, key name → the environment variable whose presence
    /// makes the key optional for `exec`/`source` when it is absent from the rack.
    public var optionalIfHas: [String: [String: String]] = [:]
    /// The files read, root first (the `extends:` chain, flattened).
    public var files: [String] = []

    public init(org: String, path: String, sections: [String: [String]]) {
        self.org = org
        self.path = path
        self.sections = sections
        files = [path]
    }

    /// Longest `extends:` chain followed: role files extend a repo file or two, not more.
    public static let maximumDepth = 8

    /// The allowlist of the repository around `directory` (an absolute path), or nil outside
    /// one, with its `extends:` chain followed (paths from the git root).
    public static func find(from directory: String) throws -> RepoAllowlist? {
        guard let found = try RepoFile.locate(from: directory) else { return nil }
        return try resolve(found.file, root: found.root, chain: [])
    }

    /// The `env.<name>:` sections of an already-read repository file, without its `extends:`.
    public static func parse(_ file: RepoFile) throws -> RepoAllowlist {
        try parseOwn(file).allowlist
    }

    /// `file` merged with the files it extends, in order (a later one adds to the earlier ones),
    /// under `file`'s org; `file`'s own entries win (an entry it lists bare is required even
    /// when an extended file marks it optional). A missing file or a cycle names the chain.
    static func resolve(_ file: RepoFile, root: String, chain: [String]) throws -> RepoAllowlist {
        let chain = chain + [file.path]
        guard chain.count <= maximumDepth else {
            throw RepoFileError.usage("\(chain[0]): extends: is nested deeper than \(maximumDepth) files (\(chain.joined(separator: " -> "))): flatten the chain")
        }
        let own = try parseOwn(file)
        var merged = RepoAllowlist(org: file.org, path: file.path, sections: [:])
        for (relative, line) in own.extends {
            guard !relative.hasPrefix("/") else {
                throw RepoFileError.usage("\(file.path) line \(line): extends: '\(relative.prefix(120))' must be a path from the git root, not absolute")
            }
            let target = RepoFile.normalized(RepoFile.join(root, relative))
            guard target.hasPrefix(root == "/" ? "/" : root + "/") else {
                throw RepoFileError.usage("\(file.path) line \(line): extends: '\(relative.prefix(120))' leaves the repository (\(root))")
            }
            guard !chain.contains(target) else {
                throw RepoFileError.usage("\(file.path) line \(line): circular extends: \((chain + [target]).joined(separator: " -> "))")
            }
            guard let bytes = try RepoFile.read(target) else {
                throw RepoFileError.usage("\(file.path) line \(line): extended keyrack file \(target) not found (chain: \(chain.joined(separator: " -> ")))")
            }
            let extended = try resolve(try RepoFile.parse(bytes, path: target), root: root, chain: chain)
            merged.add(extended)
            merged.files += extended.files
        }
        var result = own.allowlist
        result.add(merged)
        result.files = merged.files  // file.path first (its init), then each extended chain
        return result
    }

    /// Adds `other`'s names after this file's own; this file's optional marks win.
    mutating func add(_ other: RepoAllowlist) {
        for (env, names) in other.sections {
            let have = Set(sections[env] ?? [])
            sections[env, default: []] += names.filter { !have.contains($0) }
            for name in names where !have.contains(name) {
                if let flag = other.optionalIfHas[env]?[name] { optionalIfHas[env, default: [:]][name] = flag }
            }
        }
    }

    // Comparisons, not static Set<String>s: `keyrack get` reads the file on every call, and
    // setting up the first Set's generic metadata at run time (its Hashable conformance looked
    // up among all of the binary's) cost 120 K instructions, more than the whole parse.
    private static func isTopLevel(_ field: String) -> Bool { field == "org" || field == "extends" }
    private static func isEntryField(_ field: String) -> Bool { field == "key" || field == "is-optional-if-has" || field == "grade" }
    private static func isGrade(_ text: String) -> Bool {
        text == "encrypted" || text == "ephemeral" || text == "encrypted,ephemeral" || text == "ephemeral,encrypted"
    }

    /// One file's own sections and `extends:` list. Every field is known or refused with its
    /// line (a misspelt field must not silently mean something else).
    static func parseOwn(_ file: RepoFile) throws -> (allowlist: RepoAllowlist, extends: [(String, Int)]) {
        let path = file.path
        guard case .mapping(let pairs, _) = file.root else {
            throw RepoFileError.usage("\(path) must be a mapping with org: and env.<name>: sections")
        }
        var allowlist = RepoAllowlist(org: file.org, path: path, sections: [:])
        var extends: [(String, Int)] = []
        for pair in pairs {
            if pair.key == "extends" {
                switch pair.value {
                case .scalar(let s, _) where s.isNull: break
                case .sequence(let items, _):
                    for item in items {
                        guard case .scalar(let s, let line) = item, !s.isNull, !s.text.isEmpty else {
                            throw RepoFileError.usage("\(path) line \(item.line): an extends: entry must be a path from the git root")
                        }
                        extends.append((s.text, line))
                    }
                default:
                    throw RepoFileError.usage("\(path) line \(pair.value.line): extends: must be a list of paths from the git root")
                }
                continue
            }
            guard pair.key.hasPrefix("env.") else {
                if isTopLevel(pair.key) { continue }
                if pair.key == "keys" {
                    throw RepoFileError.usage("\(path) line \(pair.keyLine): flat keys: is no longer supported: use org: and env.<name>: sections")
                }
                throw RepoFileError.usage("\(path) line \(pair.keyLine): unknown field '\(pair.key.prefix(60))': keyrack.yml has org:, extends: and env.<name>: sections")
            }
            let env = String(pair.key.dropFirst(4))
            var names: [String] = []
            switch pair.value {
            case .scalar(let s, _) where s.isNull: break
            case .sequence(let items, _):
                for item in items {
                    let (name, optional) = try entry(item, section: pair.key, path: path)
                    names.append(name)
                    if let optional { allowlist.optionalIfHas[env, default: [:]][name] = optional }
                }
            default:
                throw RepoFileError.usage("\(path) line \(pair.value.line): \(pair.key) must be a list of key names")
            }
            allowlist.sections[env, default: []] += names
        }
        return (allowlist, extends)
    }

    /// The three entry forms: `KEY`; `{KEY: grade}` (grade `encrypted`, `ephemeral`, both, or
    /// null); `{key: KEY, is-optional-if-has: VAR, grade: …}`.
    private static func entry(_ node: YAMLNode, section: String, path: String) throws -> (String, String?) {
        func bad(_ why: String, _ line: Int) -> RepoFileError {
            .usage("\(path) line \(line): \(why) in \(section): an entry is KEY, {KEY: grade} or {key: KEY, is-optional-if-has: VAR}")
        }
        func text(_ node: YAMLNode) -> String? {
            if case .scalar(let s, _) = node, !s.isNull { return s.text }
            return nil
        }
        switch node {
        case .scalar(let s, let line):
            guard !s.isNull, !s.text.isEmpty else { throw bad("an empty entry", line) }
            return (s.text, nil)
        case .mapping(let pairs, let line):
            if pairs.contains(where: { $0.key == "key" }) {
                for p in pairs where !isEntryField(p.key) { throw bad("unknown field '\(p.key.prefix(60))'", p.keyLine) }
                guard let name = pairs.first(where: { $0.key == "key" }).flatMap({ text($0.value) }) else { throw bad("key: must name a key", line) }
                var optional: String?
                if let p = pairs.first(where: { $0.key == "is-optional-if-has" }) {
                    guard let v = text(p.value), isVariableName(v) else { throw bad("is-optional-if-has: must name an environment variable", p.keyLine) }
                    optional = v
                }
                if let p = pairs.first(where: { $0.key == "grade" }), !(text(p.value).map(isGrade) ?? false) {
                    throw bad("grade: must be encrypted, ephemeral or \"encrypted,ephemeral\"", p.keyLine)
                }
                return (name, optional)
            }
            guard pairs.count == 1 else { throw bad(pairs.isEmpty ? "an empty entry" : "a map of several keys", line) }
            if case .scalar(let s, _) = pairs[0].value, s.isNull || isGrade(s.text) { return (pairs[0].key, nil) }
            throw bad("the grade of \(pairs[0].key.prefix(60)) must be encrypted, ephemeral, \"encrypted,ephemeral\" or empty", pairs[0].keyLine)
        default:
            throw bad("a list", node.line)
        }
    }

    private static func isVariableName(_ s: String) -> Bool {
        guard let first = s.utf8.first, first == UInt8(ascii: "_") || (first | 0x20 >= UInt8(ascii: "a") && first | 0x20 <= UInt8(ascii: "z")) else { return false }
        return s.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 122) }
    }

    /// The environment variable that makes `name` optional in `env` (its own section, then `env.all`).
    public func optionalIfHas(env: String, name: String) -> String? {
        optionalIfHas[env]?[name] ?? optionalIfHas["all"]?[name]
    }

    /// Whether `ORG.ENV.NAME` may be handed out in this repository.
    public func allows(org: String, env: String, name: String) -> Bool {
        if env == "sudo" || org == "@all" { return true }
        guard org == self.org else { return false }
        // What `keys(env:).contains(name)` says, without building the deduplicated list (and
        // its Set) on the path of every `get`.
        return sections[env]?.contains(name) == true || sections["all"]?.contains(name) == true
    }

    /// The keys the repository lists for `env`: its own section plus `env.all`.
    public func keys(env: String) -> [String] {
        var seen = Set<String>()
        return ((sections[env] ?? []) + (sections["all"] ?? [])).filter { seen.insert($0).inserted }
    }
}
