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
    /// Key names per env section, `all` included, in file order.
    public var sections: [String: [String]]

    public init(org: String, path: String, sections: [String: [String]]) {
        self.org = org
        self.path = path
        self.sections = sections
    }

    /// The allowlist of the repository around `directory` (an absolute path), or nil outside one.
    public static func find(from directory: String) throws -> RepoAllowlist? {
        guard let file = try RepoFile.find(from: directory) else { return nil }
        return try parse(file)
    }

    /// The `env.<name>:` sections of an already-read repository file.
    public static func parse(_ file: RepoFile) throws -> RepoAllowlist {
        let path = file.path
        guard case .mapping(let pairs, _) = file.root else {
            throw RepoFileError.usage("\(path) must be a mapping with org: and env.<name>: sections")
        }
        var sections: [String: [String]] = [:]
        for pair in pairs where pair.key.hasPrefix("env.") {
            let env = String(pair.key.dropFirst(4))
            var names: [String] = []
            switch pair.value {
            case .scalar(let s, _) where s.isNull: break
            case .sequence(let items, _):
                for item in items {
                    guard let name = entryName(item) else {
                        throw RepoFileError.usage("\(path) line \(item.line): an entry of \(pair.key) must be KEY, {KEY: grade} or {key: KEY}")
                    }
                    names.append(name)
                }
            default:
                throw RepoFileError.usage("\(path) line \(pair.value.line): \(pair.key) must be a list of key names")
            }
            sections[env, default: []] += names
        }
        return RepoAllowlist(org: file.org, path: path, sections: sections)
    }

    private static func entryName(_ node: YAMLNode) -> String? {
        switch node {
        case .scalar(let s, _): return s.isNull ? nil : s.text
        case .mapping(let pairs, _):
            if let key = pairs.first(where: { $0.key == "key" }), case .scalar(let s, _) = key.value { return s.text }
            return pairs.count == 1 ? pairs[0].key : nil
        default: return nil
        }
    }

    /// Whether `ORG.ENV.NAME` may be handed out in this repository.
    public func allows(org: String, env: String, name: String) -> Bool {
        if env == "sudo" || org == "@all" { return true }
        guard org == self.org else { return false }
        return keys(env: env).contains(name)
    }

    /// The keys the repository lists for `env`: its own section plus `env.all`.
    public func keys(env: String) -> [String] {
        var seen = Set<String>()
        return ((sections[env] ?? []) + (sections["all"] ?? [])).filter { seen.insert($0).inserted }
    }
}
