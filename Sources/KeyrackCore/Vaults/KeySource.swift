import Foundation
import PIV
import SecretBytes
import KeyrackNames

/// What `unlock` grants for one key: the vault gives the stored source (VaultReader), and the
/// key's mechanism turns it into values. Permanent mechanisms hand the source out as it is; an
/// ephemeral one mints a credential from it whose own expiry caps the grant.
public enum KeySource {
    public struct Value {
        /// The key name in the entry's org and env (the entry's own, or one it derives, such as
        /// AWS_SESSION_TOKEN beside an aws.config key).
        public var key: String
        public var value: [UInt8]
        /// When the credential stops working: the grant never outlives it.
        public var expiresAt: Date?
        /// How to end the credential when its grant ends, for the daemon's revoker
        /// (`GitHubAppToken.revocation(base:)`); nil: it needs no revoking.
        public var revocation: String?
        /// A secret the revocation needs besides the value (an OpenBao lease token): handed to
        /// the daemon beside the value, kept guarded, given only to the revoker.
        public var revocationSecret: [UInt8]?

        /// Public for values read outside the core (OpenBao, in keyrack-cli).
        public init(key: String, value: [UInt8], expiresAt: Date? = nil, revocation: String? = nil, revocationSecret: [UInt8]? = nil) {
            self.key = key
            self.value = value
            self.expiresAt = expiresAt
            self.revocation = revocation
            self.revocationSecret = revocationSecret
        }
    }

    public enum Outcome {
        case values([Value])
        /// Nothing to grant: the reason is shown to the user, the key stays locked.
        case missing(LockedReason)
    }

    /// What `resolve` finds before it is made an outcome: the key's own value as its vault holds
    /// it, for a mechanism that hands it out as it is (nearly every key), or the outcome itself.
    /// An unlock's plan takes the first without an array of one value made and freed for each
    /// key (UnlockPlan.Read; 10 000 of them were a fortieth of an unlock, issue 32).
    public enum Resolved {
        case own([UInt8])
        case outcome(Outcome)
    }

    /// `environment` is evaluated only for the vaults and mechanisms that read it (an os.secure
    /// key never does). `post` is the HTTP client ephemeral mechanisms mint with (GitHub App tokens), `get` the one
    /// the GitHub Actions ID token is asked with (EPHEMERAL_VIA_GITHUB_OIDC).
    public static func resolve(_ entry: KeyEntry, manifest: HostManifest, direct: [Slug: [UInt8]],
                               environment: @autoclosure () -> [String: String] = ProcessInfo.processInfo.environment, post: HTTPPost,
                               get: HTTPGet = { _, _ in throw GitHubActionsIDToken.Failure.unreachable("no HTTP client") }) throws -> Outcome {
        switch try resolved(entry, manifest: manifest, direct: direct, environment: environment(), post: post, get: get) {
        case .own(let value): return .values([Value(key: entry.slug.key, value: value)])
        case .outcome(let outcome): return outcome
        }
    }

    /// `resolve`, the key's own value left as it is read (`Resolved`).
    public static func resolved(_ entry: KeyEntry, manifest: HostManifest, direct: [Slug: [UInt8]],
                                environment: @autoclosure () -> [String: String] = ProcessInfo.processInfo.environment, post: HTTPPost,
                                get: HTTPGet = { _, _ in throw GitHubActionsIDToken.Failure.unreachable("no HTTP client") }) throws -> Resolved {
        let source: [UInt8]
        switch try VaultReader.read(entry, manifest: manifest, direct: direct, environment: environment()) {
        case .missing(let why): return .outcome(.missing(why))
        case .value(let value): source = value
        }
        switch entry.mech {
        case .ephemeralViaAwsSso:
            let profile = String(decoding: source, as: UTF8.self)
            let outcome = try AWSProfileCredentials.export(profile: profile, environment: environment())
            guard case .values(let credentials) = outcome else { return .outcome(outcome) }
            return .outcome(.values([Value(key: entry.slug.key, value: source, expiresAt: credentials.first?.expiresAt)] + credentials))
        case .ephemeralViaGithubOidc where entry.vault == .awsConfig:
            let profile = String(decoding: source, as: UTF8.self)
            let outcome = try AWSWebIdentity.assume(profile: profile, entry: entry, environment: environment(), get: get)
            guard case .values(let credentials) = outcome else { return .outcome(outcome) }
            return .outcome(.values([Value(key: entry.slug.key, value: source, expiresAt: credentials.first?.expiresAt)] + credentials))
        case .ephemeralViaGithubApp:
            var source = source
            defer { wipe(&source) }
            return .outcome(try GitHubAppToken.mint(source: source, entry: entry, environment: environment(), post: post))
        default:
            return .own(source)
        }
    }

    /// The names `unlock` tells the daemon about (so `get` can say locked, not absent): every key
    /// of the manifest and the keys an aws.config key grants beside it. In slug order when the
    /// manifest was read in it (as keyrack writes it), as the unlock's grants are: the daemon is
    /// then sent only the slugs no grant has (UnlockCatalog), found by one merge.
    public static func catalog(_ manifest: HostManifest) -> [Slug] {
        // Appended to one array: an array per key, flattened, was an allocation per key. Each
        // entry read in place, its slug alone taken: `for entry in` copied every entry.
        var slugs: [Slug] = []
        slugs.reserveCapacity(manifest.keys.count)
        (manifest.sortedKeys.entries ?? Array(manifest.keys.values)).withUnsafeBufferPointer { entries in
            for i in entries.indices {
                slugs.append(entries[i].slug)
                guard entries[i].vault == .awsConfig else { continue }
                let entry = entries[i]
                slugs += AWSProfileCredentials.derivedKeys.compactMap { name in
                    (try? KeyName(name)).map { Slug(org: entry.org, env: entry.env, key: $0) }
                }
            }
        }
        return slugs
    }
}
