import KeyrackApp
import KeyrackCore
import ArgumentParser
import KeyrackHelp
import PIV
import KeyrackClient
import KeyrackPresentation

/// `keyrack yubikey setup`: age-plugin-yubikey's `--generate`, non-interactive.
struct YubiKeySetupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Generate an age identity key (P-256) in a free retired PIV slot, or a login key in 9a.",
        discussion: Help.yubiKeySetup
    )

    @OptionGroup var card: CardSelection

    @Option(help: ArgumentHelp("The retired slot to use: 82–95, or 1–20 as age-plugin-yubikey numbers them (default: the first free one); or 9a for a login key.", valueName: "slot"))
    var slot: PIVSlot?

    @Option(help: ArgumentHelp("When the card asks for the PIN:", valueName: "policy"))
    var pinPolicy: PINPolicyArgument = .once

    @Option(help: ArgumentHelp("When the card asks for a touch:", valueName: "policy"))
    var touchPolicy: TouchPolicyArgument = .always

    @Option(help: ArgumentHelp("The recipient form: piv-p256 (age1yubikey1…) or tag (age1tag1…, C2SP p256tag).", valueName: "type"))
    var recipientType: RecipientTypeArgument = .pivP256

    @Flag(help: "Read the PIN from stdin instead of the terminal.")
    var pinStdin = false

    @Option(help: ArgumentHelp("A name for the key, stored in its certificate (default: age identity <tag>).", valueName: "name"))
    var name: String?

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp(
        "Write the identity file (for 9a: the certificate) here (mode 0600; must not exist) and print only the recipient.", valueName: "path"))
    var output: String?

    @Flag(help: "Print machine-readable JSON instead of human text.")
    var json = false

    private var request: CardKeySetup {
        CardKeySetup(serial: card.serial, slot: slot, pinPolicy: pinPolicy.policy, touchPolicy: touchPolicy.policy, recipientType: recipientType.type,
                     name: name, output: output)
    }

    func validate() throws {
        do { try request.check() } catch let problem as CardKeySetup.Problem { throw ValidationError(problem.cliText) }
    }

    func run() throws {
        var secrets = CardSecrets(fromStdin: pinStdin)
        defer { secrets.wipeAll() }
        switch try request.run(pin: { try secrets.read(.pin(prompt: "Enter the PIN of the YubiKey\(card.serial.map { " \($0)" } ?? ""): "), what: "PIN") }) {
        case .identity(let made):
            render(made.notes, CardIdentitySetupJSON(made, recipientType: recipientType.type, identityFile: output), made.text(writtenTo: output))
        case .loginKey(let made):
            render(made.notes, LoginKeySetupJSON(made, pinPolicy: pinPolicy.policy, touchPolicy: touchPolicy.policy, certificateFile: output), made.text(writtenTo: output))
        }
    }

    /// The card's notes on stderr, then the answer: one JSON line with --json, else the text.
    private func render(_ notes: [CardSetupNote], _ answer: @autoclosure () -> some Encodable, _ text: @autoclosure () -> CardSetupText) {
        for note in notes { Terminal.printError(note.line) }
        if json { return JSONLine.print(answer()) }
        let text = text()
        text.stderr.forEach(Terminal.printError)
        print(text.stdout, terminator: "")
    }
}
