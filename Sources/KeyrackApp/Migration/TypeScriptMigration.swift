import AgeFormat
import Foundation
import KeyrackCore
import KeyrackNames

/// `keyrack migrate`: carries the TypeScript keyrack's host manifests into keyrack manifests in
/// the same home. Per old file: open it with the first key that can (ssh, the ssh-derived
/// age identity the TypeScript tool used by default, or an age identity file), carry every key
/// and recipient, move os.secure values into the new manifest and os.direct values into the
/// direct file, and create the owner with `HostManifestStore.create` (atomic, under the owner's
/// lock, never over an existing owner). The old files are only read. Each owner is reported on
/// its own: one that cannot be migrated does not stop the others.
public struct TypeScriptMigration {
    public struct Request {
        /// Keyrack owner names; empty means every old manifest found.
        public var owners: [String]
        public var identityPaths: [String]
        public var dryRun: Bool
        /// Set the owner's existing keyrack manifest aside (renamed, never deleted) and migrate
        /// over it; without it an existing owner is refused.
        public var replace: Bool
        public var userHome: URL
        public var interaction: Interaction

        public init(owners: [String], identityPaths: [String], dryRun: Bool, replace: Bool = false, userHome: URL, interaction: Interaction) {
            self.owners = owners
            self.replace = replace
            self.identityPaths = identityPaths
            self.dryRun = dryRun
            self.userHome = userHome
            self.interaction = interaction
        }
    }

    let store: HostManifestStore
    let files: TypeScriptKeyrackFiles

    public init(store: HostManifestStore) {
        self.store = store
        files = TypeScriptKeyrackFiles(root: store.home.root)
    }

    /// The old manifests the request names that exist (an empty list: nothing to migrate).
    public func run(_ request: Request) -> [MigrationReport] {
        let targets = request.owners.isEmpty
            ? files.manifests()
            : request.owners.map { files.manifest(for: $0) }.filter { FileManager.default.fileExists(atPath: $0.url.path) }
        return targets.map { migrate($0, request) }
    }

    private func migrate(_ old: TypeScriptKeyrackFiles.Manifest, _ request: Request) -> MigrationReport {
        var report = MigrationReport(owner: old.owner, source: old.url.path)
        do {
            try carry(old, request, into: &report)
        } catch let error as MigrationError {
            report.outcome = .failed(error)
        } catch {
            report.outcome = .failed(.damaged(path: old.url.path, why: "\(error)".prefix(200).description))
        }
        return report
    }

    private func carry(_ old: TypeScriptKeyrackFiles.Manifest, _ request: Request, into report: inout MigrationReport) throws {
        guard let owner = try? OwnerName(old.owner) else { throw MigrationError.badOwner(old.owner) }
        if store.isInitialised(owner) && !request.replace {
            throw MigrationError.ownerExists(owner: owner.value, manifest: store.home.manifest(owner).path)
        }
        guard let ciphertext = try FileSystem.read(old.url) else { throw MigrationError.damaged(path: old.url.path, why: "it vanished") }

        // The first key that opens the file becomes the new primary.
        var tried: [String] = []
        var opened: (MigrationIdentity, [UInt8])?
        for path in MigrationIdentities.candidates(explicit: request.identityPaths, tsOwner: old.tsOwner, userHome: request.userHome) {
            switch MigrationIdentities.load(path, interaction: request.interaction) {
            case .failure(let note):
                tried.append("\(path): \(note.reason)")
            case .success(let id):
                tried.append(path)
                do {
                    opened = (id, try Age.decrypt(ciphertext, with: id.identities))
                } catch AgeError.noMatchingIdentity {
                    continue
                } catch let error as AgeError {
                    // The file itself is not age (or is corrupted): no other key would help.
                    throw MigrationError.damaged(path: old.url.path, why: "\(error)".prefix(200).description)
                } catch {
                    // This key could not be used (a passphrase not given, a key that does not
                    // parse): say so and try the next one.
                    tried[tried.count - 1] = "\(path): \("\(error)".prefix(120))"
                    continue
                }
            }
            if opened != nil { break }
        }
        guard let (primary, json) = opened else { throw MigrationError.undecryptable(path: old.url.path, tried: tried) }
        report.openedWith = primary.path
        let ts: TypeScriptHostManifest
        do { ts = try TypeScriptHostManifest.parse(json) } catch let MigrationError.invalidJSON(what) {
            throw MigrationError.damaged(path: old.url.path, why: "it decrypts but is not the TypeScript keyrack's JSON (\(what))")
        }

        var manifest = HostManifest(owner: OwnerRecord(name: owner, via: primary.via, pubkey: primary.pubkey))
        manifest.recipients = backups(ts.recipients, primary: primary, report: &report)
        var direct: [Slug: [UInt8]] = [:]
        let directValues = try files.directValues(tsOwner: old.tsOwner)
        for host in ts.hosts.values.sorted(by: { $0.slug < $1.slug }) {
            do {
                let (entry, secret, plain) = try key(host, tsOwner: old.tsOwner, opener: primary, direct: directValues)
                manifest.keys[entry.slug] = entry
                if let secret { manifest.secrets[entry.slug] = secret }
                if let plain { direct[entry.slug] = plain }
                report.keys.append((entry.slug.description, entry.vault.rawValue))
            } catch let note as MigrationNote {
                report.notMoved.append(note)
            }
        }
        if request.dryRun { report.outcome = .wouldMigrate; return }
        if request.replace, store.isInitialised(owner) {
            report.setAside = try store.setAside(owner, suffix: "before-migrate-\(Int(Date().timeIntervalSince1970))").map(\.path)
        }
        guard try store.create(manifest, direct: direct, locations: [primary.location]) else {
            throw MigrationError.ownerExists(owner: owner.value, manifest: store.home.manifest(owner).path)
        }
        report.outcome = .migrated
    }

    /// Every old recipient but the primary's own key, as a backup (age and ssh keys; the
    /// TypeScript tool never built the others).
    private func backups(_ old: [TypeScriptHostManifest.Recipient], primary: MigrationIdentity,
                         report: inout MigrationReport) -> [BackupRecipient] {
        func keyPart(_ s: String) -> String { s.split(separator: " ").prefix(2).joined(separator: " ") }
        var out: [BackupRecipient] = []
        var used: Set<String> = [RecipientLabel.primary]
        for (i, r) in old.enumerated() {
            if keyPart(r.pubkey) == keyPart(primary.pubkey) { continue }
            guard let via = ["age": Via.age, "ssh": Via.ssh][r.mech], (try? RecipientBackends.recipient(publicKey: r.pubkey)) != nil else {
                report.notMoved.append(MigrationNote(subject: "recipient \(r.label)", reason: "mech '\(r.mech.prefix(20))' with this public key is not one keyrack encrypts to"))
                continue
            }
            var label = r.label.lowercased().map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "-" }.map(String.init).joined()
            if (try? RecipientLabel(label)) == nil || used.contains(label) { label = "ts-\(i + 1)" }
            used.insert(label)
            guard let name = try? RecipientLabel(label) else { continue }
            out.append(BackupRecipient(label: name, via: via, pubkey: r.pubkey, addedAt: r.addedAt ?? HostManifest.timestamp()))
            report.recipients.append(label)
        }
        return out
    }

    /// One host entry as a keyrack key, with its os.secure or os.direct value.
    private func key(_ host: TypeScriptHostManifest.Host, tsOwner: String?, opener: MigrationIdentity,
                     direct: [String: String]) throws -> (KeyEntry, [UInt8]?, [UInt8]?) {
        func refuse(_ why: String) -> MigrationNote { MigrationNote(subject: host.slug, reason: why) }
        guard let slug = try? Slug(validating: host.slug) else { throw refuse("not a keyrack slug (ORG.ENV.KEY)") }
        guard let vault = Vault(rawValue: host.vault) else { throw refuse("vault '\(host.vault.prefix(30))' has no keyrack counterpart") }
        guard let mech = Mechanism(rawValue: host.mech) else { throw refuse("mech '\(host.mech.prefix(40))' is unknown") }
        var maxDuration: Duration?
        if let text = host.maxDuration {
            guard let d = try? Duration(text) else { throw refuse("maxDuration '\(text.prefix(20))' is not a duration keyrack reads") }
            maxDuration = d
        }
        var options: [String: String] = [:]
        if vault == .awsParams, let region = host.meta["region"] { options[KeyOptions.region] = region }
        let now = HostManifest.timestamp()
        let entry = KeyEntry(slug: slug, vault: vault, exid: host.exid, mech: mech, maxDuration: maxDuration, options: options,
                             createdAt: host.createdAt ?? now, updatedAt: host.updatedAt ?? now)
        switch vault {
        case .osSecure:
            let url = files.secureValue(slug: host.slug, tsOwner: tsOwner)
            guard let sealed = try? FileSystem.read(url) else { throw refuse("its os.secure value file \(url.lastPathComponent) is absent") }
            guard let value = try? Age.decrypt(sealed, with: opener.identities) else {
                throw refuse("its os.secure value \(url.path) does not open with \(opener.path)")
            }
            return (entry, value, nil)
        case .osDirect:
            guard let value = direct[host.slug] else { throw refuse("no os.direct value for it in keyrack.direct.json") }
            return (entry, nil, Array(value.utf8))
        default:
            return (entry, nil, nil)
        }
    }
}

extension MigrationNote: Error {}
