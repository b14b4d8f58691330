import ArgumentParser
import KeyrackApp
import KeyrackCore
import KeyrackPresentation

/// `keyrack recipient add`: adds a backup key (age1…, age1pq1…, age1yubikey1…, ssh-…) and
/// re-encrypts the owner's manifest to every recipient.
struct RecipientAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a backup recipient to an owner's manifest.",
        aliases: ["set"])

    @OptionGroup var options: ManifestOptions

    @Option(help: ArgumentHelp("The public key (age1…, age1yubikey1…, 'ssh-ed25519 AAAA…') or a file holding one (e.g. ~/.ssh/backup.pub).", valueName: "key|path"))
    var pubkey: String

    @Option(help: ArgumentHelp("A name for this recipient, e.g. paper-backup.", valueName: "label"))
    var label: String

    @Option(help: ArgumentHelp("Where this recipient's identity lives on this machine, if it does (for unlock).", valueName: "path"))
    var backupIdentity: String?

    mutating func validate() throws {
        try UsageChecks.check { _ = try RecipientLabel(label) }
    }

    func run() throws {
        let (owner, store, identities) = try options.access()
        let result = try RecipientChange.add(owner: owner, label: try RecipientLabel(label), publicKey: pubkey, backupIdentity: backupIdentity,
                                             userHome: InvocationPaths.userHome, store: store, identities: identities)
        let added = result.recipient
        options.answer(RecipientAddJSON(owner: owner.value, added: added, identity: result.identityPath)) {
            print(RecipientChange.addedLine(added, owner: owner))
        }
    }
}
