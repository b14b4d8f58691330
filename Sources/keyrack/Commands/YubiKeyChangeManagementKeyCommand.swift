import KeyrackApp
import KeyrackCore
import ArgumentParser
import PIV
import SecretBytes

/// `keyrack yubikey change-management-key`.
struct YubiKeyChangeManagementKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "change-management-key",
        abstract: "Replace the management key with a random one stored PIN-protected on the card.",
        discussion: """
        The PIN-protected convention (PRINTED object 5FC109 + ADMIN DATA flag) is the one ykman, \
        yubikey-agent and age-plugin-yubikey use, so those tools keep working with the card. The \
        key itself is never shown. With --pin-stdin, stdin holds the PIN.
        """
    )

    enum Algorithm: String, ExpressibleByArgument, CaseIterable {
        case tdes, aes128, aes192, aes256
        var piv: UInt8 {
            switch self {
            case .tdes: return PIVAlgorithm.tdes
            case .aes128: return PIVAlgorithm.aes128
            case .aes192: return PIVAlgorithm.aes192
            case .aes256: return PIVAlgorithm.aes256
            }
        }
    }

    @OptionGroup var card: CardSelection

    @Option(help: ArgumentHelp("The new key's algorithm (default: the card's current kind; AES needs firmware 5.4+).", valueName: "algorithm"))
    var algorithm: Algorithm?

    @Flag(help: "Read the PIN from stdin instead of the terminal.")
    var pinStdin = false

    func run() throws {
        var secrets = CardSecrets(fromStdin: pinStdin)
        defer { secrets.wipeAll() }
        let card = try PIVCards.open(serial: card.serial)
        defer { card.close() }
        var pin = try secrets.read(.pin(prompt: "PIN of YubiKey \(card.serial): "), what: "PIN")
        defer { wipe(&pin) }
        try card.verifyPIN(pin)
        let alg = try card.rotateManagementKey(algorithm: algorithm?.piv)
        print("management key replaced (\(ManagementKey.name(alg)), PIN-protected)")
    }
}
