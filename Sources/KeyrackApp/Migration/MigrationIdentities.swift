import AgeFormat
import AgeSSH
import Foundation
import KeyrackCore

/// One private key `keyrack migrate` tries on the TypeScript manifests, with what the new
/// manifest records if it is the one that opens them (its primary recipient and where it lives).
struct MigrationIdentity {
    var path: String
    var via: Via
    /// The authorized_keys line (ssh) or `age1…` (age) the new manifest is encrypted to.
    var pubkey: String
    /// What opens files: for an unencrypted ssh-ed25519 key both its `ssh-ed25519` stanzas and
    /// the TypeScript tool's default, a plain X25519 recipient derived from it.
    var identities: [any Identity]

    var location: RecipientLocation {
        RecipientLocation(label: RecipientLabel.primary, via: via, pubkey: pubkey, identity: .file(path))
    }
}

/// The keys the TypeScript tool itself tried (notes §2.2), or the ones the user names.
enum MigrationIdentities {
    /// `--identity` paths when given; else `~/.ssh/<owner>` (named owners), `~/.ssh/id_ed25519`,
    /// `id_rsa`, `id_ecdsa`. Files that are absent are skipped; unusable ones are reported.
    static func candidates(explicit: [String], tsOwner: String?, userHome: URL) -> [String] {
        if !explicit.isEmpty { return explicit }
        let ssh = userHome.appendingPathComponent(".ssh")
        var names = ["id_ed25519", "id_rsa", "id_ecdsa"]
        if let tsOwner, !tsOwner.contains("/") { names.insert(tsOwner, at: 0) }
        return names.map { ssh.appendingPathComponent($0).path }.filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// Loads `path`, or says why it cannot be used.
    static func load(_ path: String, interaction: Interaction) -> Result<MigrationIdentity, MigrationNote> {
        do {
            let bytes = try HostManifestStore.readIdentityFile(path)
            if SSHKeys.isPrivateKey(bytes) {
                let pubURL = URL(fileURLWithPath: path + ".pub")
                let main = try HostManifestStore.identity(fromBytes: bytes, source: path, interaction: interaction)
                var all: [any Identity] = [main]
                var pubkey: String?
                // Unencrypted: parse now for the public key and the derived X25519 identity.
                if let plain = try? SSHKeys.identity(fromPrivateKey: bytes, passphrase: { throw SSHKeyError.wrongPassphrase }) {
                    if let ed = plain as? SSHEd25519Identity { all.append(ed.derivedAgeIdentity) }
                    pubkey = (plain as? any SSHPublicKeyHolder)?.publicKey.authorizedKey
                }
                if pubkey == nil, let text = try? String(contentsOf: pubURL, encoding: .utf8) {
                    pubkey = text.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) }
                }
                guard let pubkey else {
                    return .failure(MigrationNote(subject: path, reason: "a passphrase-protected ssh key without its .pub file"))
                }
                return .success(MigrationIdentity(path: path, via: .ssh, pubkey: pubkey, identities: all))
            }
            let ids = try AgeKeys.parseIdentities(fileContents: bytes)
            guard let first = ids.compactMap({ $0 as? X25519Identity }).first else {
                return .failure(MigrationNote(subject: path, reason: "no X25519 age identity in the file"))
            }
            return .success(MigrationIdentity(path: path, via: .age, pubkey: first.recipient.string, identities: ids))
        } catch {
            return .failure(MigrationNote(subject: path, reason: "\(error)".prefix(160).description))
        }
    }
}
