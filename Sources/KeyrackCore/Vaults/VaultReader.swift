import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Fetches the value of a key from its vault at `unlock` time: os.secure from the decrypted
/// manifest, os.direct from the owner's direct file, os.envvar from the caller's environment,
/// 1password with `op read`. (`set` checks a 1password reference when it stores it: OnePassword.)
public enum VaultReader {
    public enum Outcome {
        case value([UInt8])
        /// Nothing to fetch: the reason is shown to the user, the key is left locked.
        case missing(String)
    }

    public static func read(_ entry: KeyEntry, manifest: HostManifest, direct: [Slug: [UInt8]],
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Outcome {
        switch entry.vault {
        case .osSecure:
            guard let v = manifest.secrets[entry.slug] else { return .missing("no os.secure value in the manifest: set it again with `keyrack set`") }
            return .value(v)
        case .osDirect:
            guard let v = direct[entry.slug] else { return .missing("no os.direct value on disk: set it again with `keyrack set`") }
            return .value(v)
        case .osEnvvar:
            guard let v = environment[entry.slug.key.value] else { return .missing("environment variable \(entry.slug.key.value) is not set") }
            return .value(Array(v.utf8))
        case .osDaemon:
            return .missing("os.daemon keys live only in a daemon and cannot be unlocked from disk")
        case .onePassword:
            guard let reference = entry.exid else { return .missing("no op:// reference (exid) recorded: set it again with --exid") }
            return try readOnePassword(reference)
        }
    }

    /// `op read --no-newline REFERENCE`, the value from stdout, the first stderr line on failure.
    static func readOnePassword(_ reference: String) throws -> Outcome {
        guard let op = OnePassword.executable() else {
            return .missing("the 1Password CLI `op` is not on PATH: install it and sign in")
        }
        switch try OnePassword.read(reference: reference, op: op) {
        case .failed(let why): return .missing("op read \(reference) failed: \(why)")
        case .value(let value):
            guard !value.isEmpty else { return .missing("op read \(reference) returned an empty value") }
            return .value(value)
        }
    }
}
