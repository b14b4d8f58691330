import Foundation
import KeyrackCore
import KeyrackYAML
import SecretBytes

extension SecretsFirewall {
    /// The attempts of `firewall --from SOURCE`: the JSON object read from `environment` or
    /// `stdin` (in that order of checks: an unset variable is said before a missing repository
    /// file), against the repository file found from `directory`.
    public static func run(from source: Source, env: String, allowDangerous: Bool,
                           directory: URL = InvocationPaths.currentDirectory,
                           environment: [String: String] = ProcessInfo.processInfo.environment,
                           stdin: () -> [UInt8] = { SecretPrompt.readAllOfStdin() }) throws -> [Attempt] {
        var json: [UInt8]
        switch source {
        case .environment(let name):
            guard let v = environment[name] else { throw Failure.unsetVariable(name) }
            json = Array(v.utf8)
        case .stdin:
            json = stdin()
        }
        defer { zeroize(&json) }
        guard let allowlist = try RepoAllowlist.find(from: directory) else { throw Failure.noRepositoryFile }
        return try run(secrets: json, allowlist: allowlist, env: env, allowDangerous: allowDangerous)
    }
}
