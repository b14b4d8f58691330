import ArgumentParser
import KeyrackHelp
import KeyrackApp
import KeyrackCore
import KeyrackClient
import KeyrackPresentation

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
            (recipient ? shown.recipientLines : shown.lines).forEach(Output.line)
        }
    }
}
