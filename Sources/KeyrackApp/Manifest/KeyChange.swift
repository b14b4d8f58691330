import Foundation
import KeyrackClient
import KeyrackCore
import KeyrackDaemon
import KeyrackNames
import SecretBytes

/// `set` and `del`: one key of an owner's manifest changed, the daemon told, the change logged,
/// the repository's `.agent/keyrack.yml` kept in step. Inputs are parsed values; the manifest's
/// identities and the key's value come through closures, asked in the order that keeps a user
/// from typing a secret for nothing (identities first: an owner with none here fails before).
public enum KeyChange {
    /// What `set` is asked to record; `org` is resolved against `directory` (RepoManifest).
    public struct SetInput {
        public var owner: OwnerName
        public var org: String?
        public var env: EnvName
        public var key: KeyName
        public var vault: Vault
        public var exid: String?
        public var mech: Mechanism?
        public var maxDuration: Duration?
        public var options: [String: String]
        public var addr: String?
        public var cacert: String?
        public var sendTo: [Destination]
        /// 1password: the account `op` reads the reference from, when it is checked.
        public var onePasswordAccount: String?
        public var directory: URL

        public init(owner: OwnerName, org: String?, env: EnvName, key: KeyName, vault: Vault, exid: String? = nil, mech: Mechanism? = nil,
                    maxDuration: Duration? = nil, options: [String: String] = [:], addr: String? = nil, cacert: String? = nil,
                    sendTo: [Destination] = [], onePasswordAccount: String? = nil, directory: URL) {
            self.owner = owner
            self.org = org
            self.env = env
            self.key = key
            self.vault = vault
            self.exid = exid
            self.mech = mech
            self.maxDuration = maxDuration
            self.options = options
            self.addr = addr
            self.cacert = cacert
            self.sendTo = sendTo
            self.onePasswordAccount = onePasswordAccount
            self.directory = directory
        }
    }

    public struct SetResult {
        public var entry: KeyEntry
        public var outcome: KeySetOutcome
        /// The os.daemon slug the daemon now holds (nothing of it on disk).
        public var heldByDaemon: Slug?
        public var repoFile: RepoFileEntries.Change
        /// The value looks like a long-lived token of this family (its `prefix`, never the value):
        /// stored, but get, exec and source refuse to hand it out unless told to.
        public var longLivedToken: (prefix: String, what: String)?
    }

    /// Records the key. `value` is asked only for a vault that takes one at set (os.secure,
    /// os.direct, os.daemon); it is wiped before this returns.
    public static func set(_ input: SetInput, store: HostManifestStore, identities: () throws -> ManifestIdentities,
                           value: (Slug) throws -> [UInt8], effects: ManifestEffects) throws -> SetResult {
        let slug = Slug(org: try HostManifestStore.resolveOrg(given: input.org, env: input.env, directory: input.directory), env: input.env, key: input.key)
        try store.requireInitialised(input.owner)
        let identities = try identities()
        var stored = input.vault.takesValueAtSet ? try value(slug) : nil
        // An os.daemon value is read like any other, but goes to the daemon only, never to disk.
        var daemonValue = input.vault == .osDaemon ? try value(slug) : nil
        defer {
            if stored != nil { zeroize(&stored!) }
            if daemonValue != nil { zeroize(&daemonValue!) }
        }
        let request = try KeySetRequest(slug: slug, vault: input.vault, exid: input.exid, mech: input.mech, maxDuration: input.maxDuration,
                                        options: input.options, value: stored, addr: input.addr, cacert: input.cacert, sendTo: input.sendTo)
        if input.vault == .onePassword, let exid = input.exid {
            try OnePassword.check(reference: exid, account: input.onePasswordAccount) { value in
                if request.mech == .ephemeralViaGithubApp { _ = try GitHubAppSource(json: value) }
            }
        }
        let token = Firewall.match(stored ?? daemonValue ?? [])
        let (entry, outcome) = try store.setKey(owner: input.owner, request, identities: identities)
        effects.revoke(owner: input.owner, slug: slug, why: "its manifest entry changed; unlock it again for the new value")
        effects.record(owner: input.owner, event: "set", slug: slug, vault: input.vault, effect: outcome.rawValue)
        var held: Slug?
        if daemonValue != nil {
            let sidecar = try store.recipientsFile(input.owner)
            held = try effects.hold(owner: input.owner, entry: entry, pinnedUID: sidecar?.uid, sandboxed: sidecar?.sandboxed ?? false, value: &daemonValue!)
        }
        let repo = repoEdit(effects) { try RepoFileEntries.add(slug, from: input.directory) }
        return SetResult(entry: entry, outcome: outcome, heldByDaemon: held, repoFile: repo, longLivedToken: token)
    }

    public struct DeleteResult {
        public var slug: Slug
        /// False when the key was already absent (deleting is idempotent).
        public var removed: Bool
        public var repoFile: RepoFileEntries.Change
    }

    public static func delete(owner: OwnerName, org: String?, env: EnvName, key: KeyName, directory: URL, store: HostManifestStore,
                              identities: () throws -> ManifestIdentities, effects: ManifestEffects) throws -> DeleteResult {
        let slug = Slug(org: try HostManifestStore.resolveOrg(given: org, env: env, directory: directory), env: env, key: key)
        let removed = try store.deleteKey(owner: owner, slug: slug, identities: try identities())
        effects.revoke(owner: owner, slug: slug, why: "it was deleted")
        effects.record(owner: owner, event: "del", slug: slug, vault: nil, effect: nil)
        let repo = repoEdit(effects) { try RepoFileEntries.remove(slug, from: directory) }
        return DeleteResult(slug: slug, removed: removed, repoFile: repo)
    }

    /// The key is already stored or removed when the repository file is edited, so a failed
    /// edit is a warning, not a failure.
    private static func repoEdit(_ effects: ManifestEffects, _ edit: () throws -> RepoFileEntries.Change) -> RepoFileEntries.Change {
        do { return try edit() } catch let f as RepoFileEntries.Failure {
            effects.warn("warning: \(f.description)")
        } catch {
            effects.warn("warning: the repository file was not updated: \(error)")
        }
        return .unchanged
    }
}

extension KeyChange.SetInput {
    /// Every usage error of the input, found before anything is read from the terminal: the full
    /// KeySetRequest is built with a stand-in value, and the GitHub App's inputs checked against
    /// the vault and mechanism.
    public func check(gitHubApp: GitHubAppKeyInput) throws {
        let slug = Slug(org: try org.map(OrgName.init) ?? OrgName(OrgName.all), env: env, key: key)
        let request = try KeySetRequest(slug: slug, vault: vault, exid: exid, mech: mech, maxDuration: nil, options: options,
                                        value: vault.takesValueAtSet ? [0] : nil, addr: addr, cacert: cacert)
        try gitHubApp.check(vault: vault, mech: request.mech)
    }
}
