import Foundation
import KeyrackCore
import SecretBytes
import KeyrackYAML
import KeyrackNames

/// `keyrack fill --env ENV --for A --for B …`: the vision's "share keys between owners". For
/// each key the repository file lists for ENV, every listed owner that lacks it (as
/// `ORG.ENV.KEY` or `ORG.all.KEY`) gets it in os.secure, from one value asked once per key; each
/// write is verified by decrypting the owner's manifest again and comparing (the round trip).
public struct FillOwners {
    public struct Request {
        public var env: EnvName
        /// The owners to fill (none given: `human`).
        public var owners: [OwnerName]
        /// Only these key names (`--key`), else all the file lists for the env.
        public var keys: [String]
        public init(env: EnvName, owners: [OwnerName], keys: [String]) {
            self.env = env
            self.owners = owners.isEmpty ? [.human] : owners
            self.keys = keys
        }
    }

    public enum Outcome: Equatable, Sendable {
        /// Every owner had it already.
        case found
        /// Set for these owners and read back equal.
        case filled([String])
    }

    /// What stops a fill, the problem only: the CLI words the remedy in its commands and flags.
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case noRepositoryFile
        case notListed(key: String, env: String, path: String)
        case roundTrip(slug: String, owner: String)

        public var problem: String {
            switch self {
            case .noRepositoryFile: "fill needs the repository's .agent/keyrack.yml: it lists the keys to fill"
            case .notListed(let key, let env, let path): "\(path) does not list \(key) for env \(env)"
            case .roundTrip(let slug, let owner): "\(slug) was set for '\(owner)' but did not read back equal"
            }
        }
        public var description: String { problem }
    }

    let store: HostManifestStore
    /// What opens each owner's manifest.
    let identities: (OwnerName) throws -> ManifestIdentities
    /// The value of a slug, asked once per key that some owner lacks.
    let value: (Slug) throws -> [UInt8]

    public init(store: HostManifestStore, identities: @escaping (OwnerName) throws -> ManifestIdentities,
                value: @escaping (Slug) throws -> [UInt8]) {
        self.store = store
        self.identities = identities
        self.value = value
    }

    /// Per key, in the file's order, what happened; stops at the first failure.
    public func run(_ request: Request, allowlist: RepoAllowlist?) throws -> [(slug: String, outcome: Outcome)] {
        guard let allowlist else { throw Failure.noRepositoryFile }
        let listed = allowlist.keys(env: request.env.value)
        for key in request.keys where !listed.contains(key) {
            throw Failure.notListed(key: key, env: request.env.value, path: allowlist.path)
        }
        let names = request.keys.isEmpty ? listed : request.keys
        let org = try OrgName(allowlist.org)
        var ids: [String: ManifestIdentities] = [:]
        for owner in request.owners { ids[owner.value] = try identities(owner) }
        var report: [(String, Outcome)] = []
        for name in names {
            let slug = Slug(org: org, env: request.env, key: try KeyName(name))
            let fallback = Slug(org: org, env: try EnvName(EnvName.all), key: try KeyName(name))
            var missing: [OwnerName] = []
            for owner in request.owners {
                let keys = try store.load(owner: owner, identities: ids[owner.value]!).keys
                if keys[slug] == nil && keys[fallback] == nil { missing.append(owner) }
            }
            guard !missing.isEmpty else { report.append((slug.description, .found)); continue }
            var secret = try value(slug)
            defer { zeroize(&secret) }
            for owner in missing {
                let set = try KeySetRequest(slug: slug, vault: .osSecure, exid: nil, mech: nil, maxDuration: nil, value: secret)
                _ = try store.setKey(owner: owner, set, identities: ids[owner.value]!)
                var back = try store.load(owner: owner, identities: ids[owner.value]!).secrets[slug] ?? []
                defer { zeroize(&back) }
                guard back == secret else { throw Failure.roundTrip(slug: slug.description, owner: owner.value) }
            }
            report.append((slug.description, .filled(missing.map(\.value))))
        }
        return report
    }
}
