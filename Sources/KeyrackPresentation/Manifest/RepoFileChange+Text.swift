import KeyrackApp

/// How `set` and `del` report their edit of `.agent/keyrack.yml` (RepoFileEntries, made by
/// KeyrackApp's KeyChange): one indented line, or none when the file did not change.
extension RepoFileEntries.Change {
    public var line: String? {
        switch self {
        case .added(let path, let section): return "  \(path): listed under \(section)"
        case .removed(let path, let section): return "  \(path): removed from \(section)"
        case .unchanged: return nil
        }
    }
}
