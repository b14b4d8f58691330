import Foundation
import KeyrackClient
import KeyrackCore
import KeyrackYAML

/// `keyrack firewall`: CI secrets (a JSON object such as `${{ toJSON(secrets) }}`) let through
/// to a job only as the repository's `.agent/keyrack.yml` lists them for the env, and only when
/// they pass the firewall that `get` applies (no long-lived token, no name that changes a shell
/// or loader), as the TypeScript keyrack's `firewall --from … --into …` does.
public enum SecretsFirewall {
    /// Where the JSON object comes from: `json(env://VAR)` or `json(stdin://*)`.
    public enum Source: Equatable, Sendable {
        case environment(String)
        case stdin

        public init(parsing text: String) throws {
            guard text.hasPrefix("json("), text.hasSuffix(")") else { throw Failure.badSource(text) }
            let inner = String(text.dropFirst(5).dropLast())
            if inner == "stdin://*" { self = .stdin; return }
            guard inner.hasPrefix("env://"), inner.count > 6 else { throw Failure.badSource(text) }
            self = .environment(String(inner.dropFirst(6)))
        }
    }

    public struct Attempt: Sendable {
        public enum Status: String, Sendable { case granted, absent, blocked }
        public var slug: String
        public var name: String
        public var status: Status
        public var reason: String?
        /// Only for `granted`.
        public var value: [UInt8]
    }

    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case badSource(String)
        case unsetVariable(String)
        case notJSON(String)
        case noRepositoryFile

        /// What went wrong, naming no option of a program (the CLI's FirewallCommand words those).
        public var problem: String {
            switch self {
            case .badSource(let s): "unsupported secrets source '\(s.prefix(60))'"
            case .unsetVariable(let v): "the environment variable \(v) named as the secrets' source is not set"
            case .notJSON(let what): "the secrets given are not a JSON object of strings (\(what))"
            case .noRepositoryFile: "no .agent/keyrack.yml here: it is what lists the secrets that may pass"
            }
        }
        public var fix: String {
            switch self {
            case .badSource: "name json(env://VAR) or json(stdin://*)"
            case .unsetVariable(let v): "set it, e.g. \(v): ${{ toJSON(secrets) }} in the step's env"
            case .notJSON: "pass an object such as ${{ toJSON(secrets) }}"
            case .noRepositoryFile: "run it in the repository, or create the file naming the repository's org"
            }
        }
        public var description: String { "\(problem): \(fix)" }
    }

    /// The listed keys of `env`, each granted (with its value), absent, or blocked (with why).
    public static func run(secrets json: [UInt8], allowlist: RepoAllowlist, env: String, allowDangerous: Bool) throws -> [Attempt] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else {
            throw Failure.notJSON("not an object")
        }
        return allowlist.keys(env: env).map { name in
            let slug = "\(allowlist.org).\(env).\(name)"
            guard let text = object[name] as? String else {
                return Attempt(slug: slug, name: name, status: .absent, reason: nil, value: [])
            }
            let value = Array(text.utf8)
            if let why = EnvironmentNames.reason(name) {
                return Attempt(slug: slug, name: name, status: .blocked, reason: "\(name) \(why)", value: [])
            }
            if !allowDangerous, let (prefix, what) = Firewall.match(value) {
                return Attempt(slug: slug, name: name, status: .blocked, reason: "it holds what looks like \(what) (\(prefix)…), a long-lived token", value: [])
            }
            if value.isEmpty { return Attempt(slug: slug, name: name, status: .absent, reason: "empty", value: []) }
            return Attempt(slug: slug, name: name, status: .granted, reason: nil, value: value)
        }
    }
}
