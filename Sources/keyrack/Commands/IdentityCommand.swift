import ArgumentParser
import KeyrackApp
import KeyrackCore
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
        let shown = try OwnerAgeIdentity(owner: try options.ownerName(), store: try HostManifestStore.fromEnvironment())
        let owner = shown.owner.value
        options.answer(IdentityJSON(owner: owner, identity: shown.identity, recipients: shown.recipients.map(\.pubkey))) {
            if recipient { return shown.recipients.forEach { Output.line($0.pubkey) } }
            Output.line("# keyrack identity of owner '\(owner)': holds no secret; decrypts through age-plugin-keyrack")
            Output.line("# while `keyrack unlock\(Fix.ownerFlag(owner)) --identity-agent` holds the owner's identities.")
            for r in shown.recipients { Output.line("#    Recipient: \(r.pubkey) (\(r.label))") }
            Output.line(shown.identity)
        }
    }
}
