import ArgumentParser
import Foundation
import KeyrackApp
import KeyrackCore
import KeyrackClient

/// `keyrack recipient add`: adds a backup key (age1…, age1pq1…, age1yubikey1…, ssh-…) and
/// re-encrypts the owner's manifest to every recipient.
struct RecipientAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a backup recipient to an owner's manifest.",
        aliases: ["set"])

    @OptionGroup var options: OwnerOptions
    @OptionGroup var identity: IdentityOptions

    @Option(help: ArgumentHelp("The public key (age1…, age1yubikey1…, 'ssh-ed25519 AAAA…') or a file holding one (e.g. ~/.ssh/backup.pub).", valueName: "key|path"))
    var pubkey: String

    @Option(help: ArgumentHelp("A name for this recipient, e.g. paper-backup.", valueName: "label"))
    var label: String

    @Option(help: ArgumentHelp("Where this recipient's identity lives on this machine, if it does (for unlock).", valueName: "path"))
    var backupIdentity: String?

    mutating func validate() throws {
        try ManifestCLI.check { _ = try RecipientLabel(label) }
    }

    func run() throws {
        let owner = try ManifestCLI.owner(options)
        let store = try ManifestCLI.store()
        guard store.isInitialised(owner) else {
            throw UsageError("owner \(owner) is not initialised: run \(fix: "keyrack init\(owner == .human ? "" : " --for \(owner.value)") ") (your ssh key; or --via yubikey|age) first")
        }
        let (key, identityPath) = try resolvePublicKey()
        let identities = try ManifestCLI.identities(owner, store: store, paths: identity.paths, cardInteraction: identity.cardInteraction())
        let added = try store.addRecipient(owner: owner, label: try RecipientLabel(label), publicKey: key,
                                           identityPath: identityPath, identities: identities)
        if options.json {
            JSONLine.print(RecipientAddJSON(owner: owner.value, added: added, identity: identityPath))
        } else {
            print("keyrack recipient add: \(added.label) (\(HostManifestStore.shorten(added.pubkey)), via \(added.via.rawValue)) can now open owner \(owner)'s manifest")
        }
    }

    /// A key given inline, or the first key line of a file (an ssh `.pub` also yields the
    /// private key path beside it, when present, as the identity location).
    private func resolvePublicKey() throws -> (String, String?) {
        let path = pubkey.hasPrefix("~/") ? ManifestCLI.userHome.appendingPathComponent(String(pubkey.dropFirst(2))).path : pubkey
        let isFile = FileManager.default.fileExists(atPath: path)
        if pubkey.hasPrefix("age1") || pubkey.hasPrefix("ssh-") || (!isFile && pubkey.contains(" ")) {
            // An inline key; KeyrackCore names an unsupported type.
            return (pubkey.trimmingCharacters(in: .whitespacesAndNewlines), backupIdentity)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UsageError("cannot read public key file \(path): pass an existing file, or the key itself (age1… or 'ssh-ed25519 AAAA…')")
        }
        guard let line = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map({ $0.trimmingCharacters(in: .whitespaces) }).first(where: { !$0.isEmpty && !$0.hasPrefix("#") }) else {
            throw UsageError("public key file \(path) holds no key")
        }
        guard line.hasPrefix("age1") || line.hasPrefix("ssh-") else {
            throw UsageError("unsupported public key type in \(path): use age1…, age1yubikey1… or an ssh-ed25519 / ssh-rsa .pub")
        }
        var identityPath = backupIdentity
        if identityPath == nil, path.hasSuffix(".pub"), FileManager.default.fileExists(atPath: String(path.dropLast(4))) {
            identityPath = String(path.dropLast(4))
        }
        return (line, identityPath)
    }
}
