import Foundation
import KeyrackApp
import KeyrackClient

/// How `set` and `del` report their edit of `.agent/keyrack.yml` (RepoFileEntries, made by
/// KeyrackApp's KeyChange).
enum RepoFileCLI {
    static func text(_ change: RepoFileEntries.Change) -> String? {
        switch change {
        case .added(let path, let section): return "  \(path): listed under \(section)"
        case .removed(let path, let section): return "  \(path): removed from \(section)"
        case .unchanged: return nil
        }
    }
}
