import Foundation
import KeyrackYAML

/// The part of a repository's `.agent/keyrack.yml` that `set` needs: its `org:`. The rest of the
/// file (env sections, extends) belongs to `get`/`exec` and is tolerated here, not interpreted.
public struct RepoManifest: Equatable, Sendable {
    public var org: OrgName
    public var path: URL

    /// Finds `.agent/keyrack.yml` from `directory` upward, stopping at the git root (the first
    /// directory holding `.git`); outside a repository only `directory` itself is looked at.
    /// The search and the `org:` check are KeyrackYAML's `RepoFile`, shared with `keyrack get`.
    public static func find(from directory: URL) throws -> RepoManifest? {
        do {
            guard let file = try RepoFile.find(from: directory.path) else { return nil }
            return RepoManifest(org: try OrgName(file.org), path: URL(fileURLWithPath: file.path))
        } catch let error as RepoFileError {
            throw KeyrackError(error)
        }
    }
}
