import Foundation
import KeyrackApp
import KeyrackClient

/// How `set` and `del` report their edit of `.agent/keyrack.yml` (RepoFileEntries). The key is
/// already stored or removed when the edit runs, so a failed edit is a warning, not a failure.
enum RepoFileCLI {
    static func apply(_ edit: (URL) throws -> RepoFileEntries.Change) -> RepoFileEntries.Change {
        do { return try edit(URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) } catch let f as RepoFileEntries.Failure {
            Terminal.printError("warning: \(f.description)")
        } catch {
            Terminal.printError("warning: the repository file was not updated: \(error)")
        }
        return .unchanged
    }

    static func text(_ change: RepoFileEntries.Change) -> String? {
        switch change {
        case .added(let path, let section): return "  \(path): listed under \(section)"
        case .removed(let path, let section): return "  \(path): removed from \(section)"
        case .unchanged: return nil
        }
    }
}
