import Foundation
import KeyrackCore
import KeyrackDaemon

/// `recipient add` and `recipient remove`: who else can open an owner's manifest. The kinds of
/// key are KeyrackCore's `RecipientString` rule, asked here and nowhere else.
public enum RecipientChange {
    public struct Added {
        public var recipient: BackupRecipient
        /// Where that recipient's identity lives on this machine, when it does (for unlock).
        public var identityPath: String?
    }

    /// Adds `publicKey` (a key, or a file holding one: `PublicKeyArgument`) under `label`.
    public static func add(owner: OwnerName, label: RecipientLabel, publicKey: String, backupIdentity: String?, userHome: URL,
                           store: HostManifestStore, identities: () throws -> ManifestIdentities) throws -> Added {
        try store.requireInitialised(owner)
        let (key, identityPath) = try PublicKeyArgument.resolve(publicKey, identity: backupIdentity, userHome: userHome)
        let added = try store.addRecipient(owner: owner, label: label, publicKey: key, identityPath: identityPath, identities: try identities())
        return Added(recipient: added, identityPath: identityPath)
    }

    /// Removes the recipient `label` and relocks whatever the owner's daemon holds: what that
    /// recipient unlocked must not outlive its removal. Returns the label of a backup promoted to
    /// primary, when the primary was removed.
    public static func remove(owner: OwnerName, label: String, store: HostManifestStore, identities: () throws -> ManifestIdentities,
                              effects: ManifestEffects) throws -> String? {
        let promoted = try store.removeRecipient(owner: owner, label: label, identities: try identities())
        effects.revoke(owner: owner, slug: nil, why: "recipient \(label) was removed")
        return promoted
    }
}

/// The `--pubkey` of `recipient add`: a key given inline, or the first key line of a file (an ssh
/// `.pub` also yields the private key beside it, when present, as the identity location).
public enum PublicKeyArgument {
    public static func resolve(_ argument: String, identity: String?, userHome: URL) throws -> (publicKey: String, identityPath: String?) {
        let path = argument.hasPrefix("~/") ? userHome.appendingPathComponent(String(argument.dropFirst(2))).path : argument
        let isFile = FileManager.default.fileExists(atPath: path)
        let inline = argument.trimmingCharacters(in: .whitespacesAndNewlines)
        if RecipientString.kind(of: inline) != nil || (!isFile && argument.contains(" ")) {
            // An inline key; KeyrackCore names an unsupported type.
            return (inline, identity)
        }
        guard isFile else {
            throw KeyrackError(.usage, "cannot read public key file \(path): pass an existing file, or the key itself (age1… or 'ssh-ed25519 AAAA…')")
        }
        let bytes = try KeyFile.read(path, what: "public key file")
        guard let line = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map({ $0.trimmingCharacters(in: .whitespaces) }).first(where: { !$0.isEmpty && !$0.hasPrefix("#") }) else {
            throw KeyrackError(.usage, "public key file \(path) holds no key")
        }
        guard RecipientString.kind(of: line) != nil else {
            throw KeyrackError(.usage, "unsupported public key type in \(path): use age1…, age1yubikey1… or an ssh-ed25519 / ssh-rsa .pub")
        }
        var identityPath = identity
        if identityPath == nil, path.hasSuffix(".pub"), FileManager.default.fileExists(atPath: String(path.dropLast(4))) {
            identityPath = String(path.dropLast(4))
        }
        return (line, identityPath)
    }
}
