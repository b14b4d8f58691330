import KeyrackApp
import KeyrackClient

/// What stops a fill, with its remedy in keyrack's commands and fill's flags.
extension FillOwners.Failure {
    public var cliLine: ErrorLine {
        switch self {
        case .noRepositoryFile: "\(self): run it in the repository, or create the file with \(fix: "keyrack init --org ORG")"
        case .notListed: "\(self): add it to the file's env section, or drop --key"
        case .roundTrip: "\(self): check the owner's manifest with \(fix: "keyrack list"), then fill again"
        }
    }
}
