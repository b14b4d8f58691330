import AgePlugin
import ArgumentParser
import KeyrackApp
import KeyrackCore
import KeyrackDaemon
import KeyrackClient

/// `keyrack identity`: the age identity that decrypts through the owner's identity agent.
struct IdentityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identity",
        abstract: "Print the owner's age plugin identity (AGE-PLUGIN-KEYRACK-1…) for age, sops, rage.",
        discussion: """
        The identity names the owner and holds no secret: put it in an identity file for \
        `age -d -i FILE`, in SOPS_AGE_KEY_FILE, or wherever an age client takes identities. \
        The client then runs age-plugin-keyrack (installed next to keyrack), which asks the \
        owner's daemon to unwrap; start that with `keyrack unlock --identity-agent`. \
        --recipient prints the owner's recipients instead (primary first), to encrypt to.
        """
    )

    @OptionGroup var options: OwnerOptions

    @Flag(help: "Print the owner's recipients (one per line, primary first) instead of the identity.")
    var recipient = false

    func run() throws {
        let owner = try options.ownerName()
        let store = try HostManifestStore.fromEnvironment()
        let recipients = try store.initialisedRecipients(owner)
        let identity = KeyrackPluginIdentity(owner: owner.value).string
        if options.json {
            JSONLine.print(IdentityJSON(owner: owner.value, identity: identity, recipients: recipients.map(\.pubkey)))
        } else if recipient {
            for r in recipients { Output.line(r.pubkey) }
        } else {
            Output.line("# keyrack identity of owner '\(owner.value)': holds no secret; decrypts through age-plugin-keyrack")
            Output.line("# while `keyrack unlock\(Fix.ownerFlag(owner.value)) --identity-agent` holds the owner's identities.")
            for r in recipients { Output.line("#    Recipient: \(r.pubkey) (\(r.label))") }
            Output.line(identity)
        }
    }
}
