import Foundation
import KeyrackCore
import KeyrackYAML

/// `keyrack init --org ORG`: the repository's minimal `.agent/keyrack.yml` (`org: ORG`), made
/// at the git root when absent, as the TypeScript keyrack's `init --org` does. An existing file
/// is never rewritten: the same org is "found", another org is an error.
public enum RepoFileInit {
    public enum Outcome: Equatable, Sendable {
        case created(path: String)
        case found(path: String)
        /// Not inside a git repository: nothing to make.
        case notInRepository
    }

    /// A usage error (exit 2); each case is its own remedy, in words here, in `init`'s options in
    /// the CLI (AppRefusals+Text).
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case otherOrg(path: String, org: String)
        case unreadable(path: String, why: String)

        public var problem: String {
            switch self {
            case .otherOrg(let path, let org): "\(path) already declares org \(org)"
            case .unreadable(let path, let why): "cannot use \(path): \(why)"
            }
        }
        public var remedy: String {
            switch self {
            case .otherOrg: "edit its org: line by hand, or initialise without an org"
            case .unreadable: "fix or move the file, then initialise with the org again"
            }
        }
        public var description: String { "\(problem): \(remedy)" }
    }

    public static func run(org: OrgName, from directory: URL) throws -> Outcome {
        var dir = directory.standardizedFileURL
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent(".git").path) {
            guard dir.path != "/" else { return .notInRepository }
            dir.deleteLastPathComponent()
        }
        let file = dir.appendingPathComponent(".agent/keyrack.yml")
        if let bytes = try FileSystem.read(file) {
            let existing: RepoFile
            do { existing = try RepoFile.parse(bytes, path: file.path) } catch let error as RepoFileError {
                throw Failure.unreadable(path: file.path, why: error.message)
            }
            guard existing.org == org.value else { throw Failure.otherOrg(path: file.path, org: existing.org) }
            return .found(path: file.path)
        }
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileSystem.writeAtomically(Array("org: \(org.value)\n".utf8), to: file, mode: 0o644)
        return .created(path: file.path)
    }
}
