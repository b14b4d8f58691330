import AgeFormat
import Foundation

/// What `set` asks for, validated: every field has passed its rule before this exists.
public struct KeySetRequest {
    public var slug: Slug
    public var vault: Vault
    public var exid: String?
    public var mech: Mechanism
    public var maxDuration: Duration?
    /// The value for os.secure and os.direct; nil for the other vaults.
    public var value: [UInt8]?

    /// Checks the combination (exid only for 1password and required there, a value exactly for
    /// the vaults that store one).
    public init(slug: Slug, vault: Vault, exid: String?, mech: Mechanism?, maxDuration: Duration?, value: [UInt8]?) throws {
        switch vault {
        case .onePassword:
            guard let exid else {
                throw KeyrackError.usage("vault 1password needs --exid op://VAULT/ITEM/FIELD, the secret reference to read at unlock")
            }
            try OnePassword.validate(reference: exid)
        default:
            if exid != nil { throw KeyrackError.usage("--exid is only used with --vault 1password; \(vault.rawValue) has no external id") }
        }
        if vault.takesValueAtSet {
            guard let value, !value.isEmpty else {
                throw KeyrackError.usage("empty value for \(slug) (vault \(vault.rawValue)): nothing was stored; type the value, or pipe it on stdin")
            }
        } else if value != nil {
            throw KeyrackError.usage("vault \(vault.rawValue) stores no value in keyrack")
        }
        self.slug = slug
        self.vault = vault
        self.exid = exid
        self.mech = mech ?? vault.defaultMechanism
        self.maxDuration = maxDuration
        self.value = value
    }
}

public enum KeySetOutcome: String, Sendable {
    case created, updated, unchanged
}

extension HostManifestStore {
    /// Resolves the org of a key (docs/formats.md, "Host manifest"): `--org` when given (it must agree with the
    /// repository's `.agent/keyrack.yml` unless it is `@all`), else that file's org, else `@all`
    /// for sudo keys; anything else needs `--org`.
    public static func resolveOrg(given: String?, env: EnvName, directory: URL) throws -> OrgName {
        let repo = try RepoManifest.find(from: directory)
        if let given {
            let org = try OrgName(given)
            if let repo, org.value != OrgName.all, org != repo.org {
                throw KeyrackError.usage("org '\(org)' does not match org '\(repo.org)' of \(repo.path.path): drop --org, or use --org @all for a machine-wide key")
            }
            return org
        }
        if let repo { return repo.org }
        if env.isSudo { return try OrgName(OrgName.all) }
        throw KeyrackError.usage("no org for this key: no .agent/keyrack.yml was found from here up to the git root; pass --org ORG (or --org @all for a machine-wide key)")
    }

    /// Adds or replaces one key of `owner`, with its value for os.secure / os.direct. A value
    /// left behind in another vault by an earlier `set` of the same slug is removed.
    @discardableResult
    public func setKey(owner: OwnerName, _ request: KeySetRequest, identities: [any Identity]) throws -> (KeyEntry, KeySetOutcome) {
        try update(owner: owner, identities: identities) { manifest, direct in
            let slug = request.slug
            let now = HostManifest.timestamp()
            let existing = manifest.keys[slug]
            var entry = KeyEntry(slug: slug, vault: request.vault, exid: request.exid, mech: request.mech,
                                 maxDuration: request.maxDuration, createdAt: existing?.createdAt ?? now, updatedAt: now)
            let oldSecret = manifest.secrets[slug], oldDirect = direct[slug]
            manifest.secrets[slug] = request.vault == .osSecure ? request.value : nil
            direct[slug] = request.vault == .osDirect ? request.value : nil
            if let existing {
                var same = existing
                same.updatedAt = now
                if same == entry && oldSecret == manifest.secrets[slug] && oldDirect == direct[slug] {
                    entry = existing
                    manifest.keys[slug] = existing
                    return (existing, .unchanged)
                }
            }
            manifest.keys[slug] = entry
            return (entry, existing == nil ? .created : .updated)
        }
    }

    /// Removes one key (entry, os.secure value, os.direct value). Returns false when it was not
    /// there: deleting is idempotent.
    @discardableResult
    public func deleteKey(owner: OwnerName, slug: Slug, identities: [any Identity]) throws -> Bool {
        try update(owner: owner, identities: identities) { manifest, direct in
            let existed = manifest.keys.removeValue(forKey: slug) != nil
            let hadSecret = manifest.secrets.removeValue(forKey: slug) != nil
            let hadDirect = direct.removeValue(forKey: slug) != nil
            return existed || hadSecret || hadDirect
        }
    }
}
