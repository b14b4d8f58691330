import Foundation
import PIV
import SecretBytes
import KeyrackNames

/// The aws.params vault: the exid names an SSM Parameter Store parameter (a SecureString, or
/// any type), which `aws ssm get-parameter --with-decryption` reads at unlock. The credentials
/// `aws` uses are the caller's (environment, default profile, IMDS), or the profile named by an
/// `AWS_PROFILE` key of the same owner and org, as the TypeScript keyrack did.
public enum AWSParameterStore {
    /// SSM's name rule: letters, digits and `_.-/`, at most 2048 characters; a path starts with `/`.
    public static func validate(name: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/")
        guard !name.isEmpty, name.utf8.count <= 2048, !name.hasPrefix("-"), name.allSatisfy(allowed.contains) else {
            throw KeyrackError.usage("invalid external id '\(name.prefix(80))' for vault aws.params", .give(.exid, "/PATH/NAME, the parameter's name (e.g. /acme/prod/db-password)"))
        }
    }

    /// The key of `entry`'s org named AWS_PROFILE (its own env first, then the org's `all`).
    static func profileKey(for entry: KeyEntry, in manifest: HostManifest) -> KeyEntry? {
        let candidates = [entry.env.value, EnvName.all].compactMap { try? Slug(org: entry.org, env: EnvName($0), key: KeyName("AWS_PROFILE")) }
        return candidates.lazy.compactMap { manifest.keys[$0] }.first { $0.vault != .awsParams && $0.slug != entry.slug }
    }

    /// Reads the parameter `entry.exid`, with the region stored at `set` (else the CLI's own).
    static func read(_ entry: KeyEntry, profile: String?, environment: [String: String]) throws -> VaultReader.Outcome {
        guard let name = entry.exid else { return .missing(LockedReason("no parameter name (exid) recorded", remedy: .setAgain(.exid, "/PATH/NAME"))) }
        let region = entry.options[KeyOptions.region]
        var r: ToolProcess.Result
        do {
            r = try AWSCLI.run(["ssm", "get-parameter", "--name", name, "--with-decryption", "--query", "Parameter.Value", "--output", "text"],
                               service: "ssm", profile: profile, region: region, environment: environment)
        } catch let error as KeyrackError { return .missing(LockedReason(error)) }
        defer { wipe(&r.output) }
        guard r.status == 0 else {
            let failure = AWSCLI.classify(r)
            if failure == .notFound {
                return .missing(LockedReason("SSM parameter \(name) was not found\(region.map { " in \($0)" } ?? "") (aws ssm get-parameter --name \(name))",
                                             remedy: .check([.exid, .region])))
            }
            return .missing(AWSCLI.explain(failure, profile: profile).about("SSM parameter \(name)"))
        }
        // `--output text` ends the value with one newline of its own.
        var value = r.output
        if value.last == UInt8(ascii: "\n") { value.removeLast() }
        guard !value.isEmpty else { return .missing("SSM parameter \(name) is empty") }
        return .value(value)
    }
}
