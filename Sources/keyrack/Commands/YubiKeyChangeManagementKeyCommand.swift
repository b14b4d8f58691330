import KeyrackApp
import ArgumentParser
import KeyrackHelp
import KeyrackPresentation

/// `keyrack yubikey change-management-key`.
struct YubiKeyChangeManagementKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "change-management-key",
        abstract: "Replace the management key with a random one stored PIN-protected on the card.",
        discussion: Help.yubiKeyChangeManagementKey
    )

    @OptionGroup var card: CardSelection

    @Option(help: ArgumentHelp("The new key's algorithm (default: the card's current kind; AES needs firmware 5.4+).", valueName: "algorithm"))
    var algorithm: ManagementKeyRotation.Algorithm?

    @Flag(help: "Read the PIN from stdin instead of the terminal.")
    var pinStdin = false

    func run() throws {
        var secrets = CardSecrets(fromStdin: pinStdin)
        defer { secrets.wipeAll() }
        let made = try ManagementKeyRotation.run(serial: card.serial, algorithm: algorithm) { try secrets.read(.pin(prompt: "PIN of YubiKey \($0): "), what: "PIN") }
        print(made.line)
    }
}

extension ManagementKeyRotation.Algorithm: ExpressibleByArgument {}
