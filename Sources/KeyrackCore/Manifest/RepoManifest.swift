import Foundation

/// The part of a repository's `.agent/keyrack.yml` that `set` needs: its `org:`. The rest of the
/// file (env sections, extends) belongs to `get`/`exec` and is tolerated here, not interpreted.
public struct RepoManifest: Equatable, Sendable {
    public var org: OrgName
    public var path: URL

    /// Finds `.agent/keyrack.yml` from `directory` upward, stopping at the git root (the first
    /// directory holding `.git`); outside a repository only `directory` itself is looked at.
    public static func find(from directory: URL) throws -> RepoManifest? {
        var dir = directory.standardizedFileURL
        let inRepo = gitRoot(from: dir) != nil
        while true {
            let candidate = dir.appendingPathComponent(".agent/keyrack.yml")
            if let bytes = try FileSystem.read(candidate) {
                return try parse(bytes, path: candidate)
            }
            if !inRepo || FileSystem.exists(dir.appendingPathComponent(".git")) || dir.path == "/" { return nil }
            dir = dir.deletingLastPathComponent()
        }
    }

    static func gitRoot(from directory: URL) -> URL? {
        var dir = directory
        while true {
            if FileSystem.exists(dir.appendingPathComponent(".git")) { return dir }
            if dir.path == "/" { return nil }
            dir = dir.deletingLastPathComponent()
        }
    }

    static func parse(_ bytes: [UInt8], path: URL) throws -> RepoManifest {
        do {
            let root = try YAMLParser.parse(bytes)
            var fields = try YAMLFields(root, path: "keyrack.yml")
            guard let orgText = try fields.optionalString("org") else {
                throw KeyrackError.usage("\(path.path) has no org: add `org: <your-org>` or pass --org")
            }
            do { return RepoManifest(org: try OrgName(orgText), path: path) } catch let error as KeyrackError {
                throw KeyrackError.usage("\(path.path): \(error.message)")
            }
        } catch let error as YAMLError {
            throw KeyrackError.usage("\(path.path) is not valid: \(error)")
        }
    }
}
