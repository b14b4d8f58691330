import AgeFormat
import Foundation
import KeyrackNames

/// What `set` asks for, validated: every field has passed its rule before this exists.
public struct KeySetRequest {
    public var slug: Slug
    public var vault: Vault
    public var exid: String?
    public var mech: Mechanism
    public var maxDuration: Duration?
    public var options: [String: String]
    /// openbao only: the key's own cluster address and CA file.
    public var addr: String?
    public var cacert: String?
    /// Where `exec --proxy` may send the value (`--send-to`).
    public var sendTo: [Destination]
    /// The value for os.secure and os.direct; nil for the other vaults.
    public var value: [UInt8]?

    /// Checks the combination: an exid exactly for the vaults that point elsewhere (1password,
    /// openbao, aws.params, aws.config) in that vault's form, a value exactly for the vaults that
    /// store one, a mechanism the vault can serve, and options that belong to both.
    public init(slug: Slug, vault: Vault, exid: String?, mech: Mechanism?, maxDuration: Duration?,
                options: [String: String] = [:], value: [UInt8]?, addr: String? = nil, cacert: String? = nil,
                sendTo: [Destination] = []) throws {
        let mech = mech ?? vault.defaultMechanism
        if vault.takesExid {
            guard let exid else { throw KeyrackError.usage("vault \(vault.rawValue) needs an external id", .give(.exid, KeySetRequest.exidForm(vault))) }
            switch vault {
            case .onePassword: _ = try OnePasswordReference(exid)
            case .openBao: _ = try OpenBaoReference(parsing: exid)
            case .awsParams: try AWSParameterStore.validate(name: exid)
            default: try AWSProfileCredentials.validate(profile: exid, key: slug.keyName)
            }
        } else if exid != nil {
            throw KeyrackError.usage("vault \(vault.rawValue) has no external id (only 1password, openbao, aws.params and aws.config do)", .drop(.exid))
        }
        if vault != .openBao, addr != nil || cacert != nil {
            throw KeyrackError.usage("an OpenBao address and CA are only used with vault openbao", .drop(.openBaoCluster))
        }
        if let addr { try OpenBaoSettings.validateToStore(addr: addr) }
        self.addr = addr
        self.cacert = cacert
        self.sendTo = sendTo
        try KeySetRequest.checkMechanism(mech, vault: vault)
        try KeyOptions.check(options, vault: vault, mech: mech)
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
        self.mech = mech
        self.maxDuration = maxDuration
        self.options = options
        self.value = value
    }

    /// The form of the external id `vault` takes, in words naming no option.
    static func exidForm(_ vault: Vault) -> String {
        switch vault {
        case .awsParams: return "/PATH/NAME, the SSM parameter to read at unlock"
        case .awsConfig: return "PROFILE, the AWS profile whose credentials unlock exports"
        case .openBao: return "MOUNT/PATH#FIELD, the KV secret to read at unlock (e.g. secret/robots/seaturtle#token)"
        default: return "VAULT/ITEM[/FIELD] (or op://VAULT/ITEM/FIELD), the secret reference to read at unlock"
        }
    }

    /// The mechanisms that mint a credential need a source they can use: an AWS profile for
    /// AWS SSO, the app's key (in the manifest or 1Password) for a GitHub App.
    static func checkMechanism(_ mech: Mechanism, vault: Vault) throws {
        switch (mech, vault) {
        case (.ephemeralViaAwsSso, .awsConfig), (.ephemeralViaGithubApp, .osSecure), (.ephemeralViaGithubApp, .onePassword),
             (.ephemeralViaGithubOidc, .openBao), (.ephemeralViaGithubOidc, .awsConfig), (.ephemeralViaOpenBaoLease, .openBao):
            return
        case (.ephemeralViaOpenBaoLease, _), (.ephemeralViaGithubOidc, _), (.ephemeralViaAwsSso, _), (.ephemeralViaGithubApp, _):
            let serving: [Mechanism: String] = [.ephemeralViaGithubOidc: "openbao or aws.config", .ephemeralViaAwsSso: "aws.config",
                                                .ephemeralViaGithubApp: "os.secure or 1password"]
            throw KeyrackError.usage("mech \(mech.rawValue) needs vault \(serving[mech] ?? "openbao"), not \(vault.rawValue)", .vaultFor(mech))
        case (_, .awsConfig):
            throw KeyrackError.usage("vault aws.config only serves mech EPHEMERAL_VIA_AWS_SSO (temporary credentials of the profile) or EPHEMERAL_VIA_GITHUB_OIDC (its role assumed with the GitHub Actions ID token)")
        default:
            return
        }
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
                throw KeyrackError.usage("org '\(org)' does not match org '\(repo.org)' of \(repo.path.path)", .drop(.org))
            }
            return org
        }
        if let repo { return repo.org }
        if env.isSudo { return try OrgName(OrgName.all) }
        throw KeyrackError.usage("no org for this key: no .agent/keyrack.yml was found from here up to the git root", .give(.org, "ORG (or @all for a machine-wide key)"))
    }

    /// Adds or replaces one key of `owner`, with its value for os.secure / os.direct. A value
    /// left behind in another vault by an earlier `set` of the same slug is removed.
    @discardableResult
    public func setKey(owner: OwnerName, _ request: KeySetRequest, identities: ManifestIdentities) throws -> (KeyEntry, KeySetOutcome) {
        try update(owner: owner, identities: identities) { manifest, direct in
            let slug = request.slug
            let now = HostManifest.timestamp()
            let existing = manifest.keys[slug]
            var entry = KeyEntry(slug: slug, vault: request.vault, exid: request.exid, mech: request.mech,
                                 maxDuration: request.maxDuration, options: request.options, addr: request.addr, cacert: request.cacert, sendTo: request.sendTo,
                                 createdAt: existing?.createdAt ?? now, updatedAt: now)
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
    public func deleteKey(owner: OwnerName, slug: Slug, identities: ManifestIdentities) throws -> Bool {
        try update(owner: owner, identities: identities) { manifest, direct in
            let existed = manifest.keys.removeValue(forKey: slug) != nil
            let hadSecret = manifest.secrets.removeValue(forKey: slug) != nil
            let hadDirect = direct.removeValue(forKey: slug) != nil
            return existed || hadSecret || hadDirect
        }
    }
}
