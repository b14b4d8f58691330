import ArgumentParser
import KeyrackHelp
import KeyrackApp
import KeyrackPresentation

/// `keyrack age encrypt`: the `age -e` of keyrack, with age's flags.
struct AgeEncryptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encrypt",
        abstract: "Encrypt a file to recipients or with a passphrase (as `age -e`).",
        discussion: Help.ageEncrypt
    )

    @Option(name: [.customShort("r"), .customLong("recipient")], help: ArgumentHelp(
        "Encrypt to this recipient (age1…, age1pq1…, age1yubikey1…, or an ssh public key line). Repeatable.", valueName: "recipient"))
    var recipients: [String] = []

    @Option(name: [.customShort("R"), .customLong("recipients-file")], help: ArgumentHelp(
        "Encrypt to the recipients listed in this file, one per line. Repeatable.", valueName: "path"))
    var recipientFiles: [String] = []

    @Option(name: [.customShort("i"), .customLong("identity")], help: ArgumentHelp(
        "Encrypt to the recipients of the identities in this file. Repeatable.", valueName: "path"))
    var identityFiles: [String] = []

    @Flag(name: [.customShort("a"), .customLong("armor")], help: "Write PEM-armored ASCII instead of binary.")
    var armor = false

    @Flag(name: [.customShort("p"), .customLong("passphrase")], help: "Encrypt with a passphrase asked on the terminal (scrypt); not combinable with recipients.")
    var passphrase = false

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp(
        "Write the result to this file instead of stdout.", valueName: "path"))
    var output: String?

    @Argument(help: ArgumentHelp("The file to encrypt (default: stdin).", valueName: "input"))
    var input: String?

    private var request: AgeEncryption.Request {
        AgeEncryption.Request(recipients: recipients, recipientFiles: recipientFiles, identityFiles: identityFiles, passphrase: passphrase)
    }

    func validate() throws {
        let hasRecipients = request.hasRecipients
        if passphrase, hasRecipients {
            throw ValidationError("-p/--passphrase cannot be combined with -r, -R or -i: a passphrase file has no other recipients")
        }
        if !passphrase, !hasRecipients {
            throw ValidationError("missing recipients: give -r RECIPIENT, -R FILE or -i FILE, or -p for a passphrase")
        }
    }

    func run() throws {
        try AgeEncryption.run(request, input: input, output: AgeCLI.output(output), armor: armor, terminal: AgeCLI.terminal)
    }
}
