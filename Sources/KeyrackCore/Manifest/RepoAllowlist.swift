import Foundation
import KeyrackYAML

// The allowlist itself (RepoAllowlist, `.agent/keyrack.yml`'s `env.<name>:` sections) lives in
// KeyrackYAML, without Foundation, so the fast `keyrack get` front end reads it with the very code
// the full CLI uses. Here: the URL entry point and KeyrackCore's error type.
extension RepoAllowlist {
    /// The allowlist of the repository around `directory`, or nil outside one.
    public static func find(from directory: URL) throws -> RepoAllowlist? {
        do { return try find(from: directory.path) } catch let error as RepoFileError {
            throw KeyrackError(error)
        }
    }
}

extension KeyrackError {
    /// A repository-file refusal as KeyrackCore reports it: a fixable file is a usage error.
    init(_ error: RepoFileError) {
        switch error {
        case .noOrg(let path): self.init(.usage, problem: "\(path) has no org", remedy: .nameTheOrg)
        case .usage, .failure: self.init(error.isUsage ? .usage : .failure, error.message)
        }
    }
}
