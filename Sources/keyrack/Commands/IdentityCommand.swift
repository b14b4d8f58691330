import ArgumentParser
import KeyrackHelp
import KeyrackApp
import KeyrackCore
import KeyrackClient

/// `keyrack identity`: the age identity that decrypts through the owner's identity agent.
struct IdentityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identity",
        abstract: "Print the owner's age plugin identity (AGE-PLUGIN-KEYRACK-1…) for age, sops, rage.",
        discussion: Help.identity
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
