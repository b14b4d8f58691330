import KeyrackApp
import KeyrackClient

/// The firewall's refusals in its options' words.
extension SecretsFirewall.Failure {
    public var cliLine: ErrorLine {
        switch self {
        case .badSource(let s): "unsupported --from '\(s.prefix(60))': use --from 'json(env://VAR)' or --from 'json(stdin://*)'"
        case .unsetVariable(let v): "the environment variable \(v) named by --from is not set: \(fix)"
        case .notJSON(let what): "the secrets given with --from are not a JSON object of strings (\(what)): \(fix)"
        case .noRepositoryFile: "\(problem): run it in the repository, or create the file with \(fix: "keyrack init --org ORG")"
        }
    }
}
