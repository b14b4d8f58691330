import Foundation
import PIV
#if canImport(Glibc)
import Glibc
#endif
import SecretBytes
import KeyrackNames

/// Fetches the stored source of a key from its vault at `unlock` time: os.secure from the
/// decrypted manifest, os.direct from the owner's direct file, os.envvar from the caller's
/// environment, 1password with `op`, aws.params with `aws ssm`, aws.config the profile name.
/// What the source becomes (itself, or a credential minted from it) is KeySource's business.
public enum VaultReader {
    public enum Outcome {
        case value([UInt8])
        /// Nothing to fetch: the reason is shown to the user, the key is left locked.
        case missing(LockedReason)
    }

    /// `environment` is read only by the vaults that need it: copying the process environment
    /// into a dictionary once per key was most of an os.secure key's cost at unlock.
    public static func read(_ entry: KeyEntry, manifest: HostManifest, direct: [Slug: [UInt8]],
                            environment: @autoclosure () -> [String: String] = ProcessInfo.processInfo.environment) throws -> Outcome {
        switch entry.vault {
        case .osSecure:
            guard let v = manifest.secrets[entry.slug] else { return .missing(LockedReason("no os.secure value in the manifest", remedy: .setAgain(nil, ""))) }
            return .value(v)
        case .osDirect:
            guard let v = direct[entry.slug] else { return .missing(LockedReason("no os.direct value on disk", remedy: .setAgain(nil, ""))) }
            return .value(v)
        case .osEnvvar:
            guard let v = environment()[entry.slug.key] else { return .missing("environment variable \(entry.slug.key) is not set") }
            return .value(Array(v.utf8))
        case .osDaemon:
            return .missing("os.daemon keys live only in a daemon and cannot be unlocked from disk")
        case .onePassword:
            guard let exid = entry.exid, let reference = try? OnePasswordReference(exid) else {
                return .missing(LockedReason("no 1Password reference (exid) recorded", remedy: .setAgain(.exid, "VAULT/ITEM[/FIELD]")))
            }
            return try readOnePassword(reference, account: entry.options[KeyOptions.account], environment: environment())
        case .awsParams:
            var profile: String?
            if let key = AWSParameterStore.profileKey(for: entry, in: manifest) {
                guard case .value(var name) = try read(key, manifest: manifest, direct: direct, environment: environment()) else {
                    return .missing("its profile key \(key.slug) could not be read: unlock it alone to see why")
                }
                profile = String(decoding: name, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                wipe(&name)
            }
            return try AWSParameterStore.read(entry, profile: profile, environment: environment())
        case .awsConfig:
            guard let profile = entry.exid else { return .missing(LockedReason("no AWS profile (exid) recorded", remedy: .setAgain(.exid, "PROFILE"))) }
            return .value(Array(profile.utf8))
        case .openBao:
            // Read by keyrack-cli's OpenBao client (KeyrackOpenBao) before this is reached.
            return .missing("openbao keys are read by the OpenBao client")
        }
    }

    /// The value `op` reads for `reference`, or why it could not.
    static func readOnePassword(_ reference: OnePasswordReference, account: String?, environment: [String: String]) throws -> Outcome {
        guard let op = OnePassword.executable(environment: environment) else {
            return .missing("the 1Password CLI `op` is not on PATH: \(OnePassword.installAdvice)")
        }
        switch try OnePassword.read(reference, account: account, op: op) {
        case .failed(let why): return .missing(why.about("1password \(reference.text)"))
        case .value(let value):
            guard !value.isEmpty else { return .missing("1password \(reference.text) returned an empty value") }
            return .value(value)
        }
    }
}
