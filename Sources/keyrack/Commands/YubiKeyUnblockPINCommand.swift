import KeyrackApp
import KeyrackCore
import ArgumentParser
import PIV
import SecretBytes

/// `keyrack yubikey unblock-pin`: what a blocked PIN's error message points to.
struct YubiKeyUnblockPINCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unblock-pin",
        abstract: "Set a new PIN with the PUK, unblocking a blocked PIN.",
        discussion: "With --pin-stdin, stdin holds two lines: the PUK, then the new PIN (6–8 characters)."
    )

    @OptionGroup var card: CardSelection

    @Flag(help: "Read the PUK and the new PIN from stdin, one per line.")
    var pinStdin = false

    func run() throws {
        var secrets = CardSecrets(fromStdin: pinStdin)
        defer { secrets.wipeAll() }
        let card = try PIVCards.open(serial: card.serial)
        defer { card.close() }
        var puk = try secrets.read(.puk(prompt: "PUK of YubiKey \(card.serial): "), what: "PUK")
        defer { wipe(&puk) }
        var pin = try secrets.readNew(puk: false)
        defer { wipe(&pin) }
        try card.unblockPIN(puk: puk, newPIN: pin)
        print("PIN unblocked and changed")
    }
}
