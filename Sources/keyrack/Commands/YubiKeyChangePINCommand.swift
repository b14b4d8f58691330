import KeyrackApp
import KeyrackCore
import ArgumentParser
import PIV
import SecretBytes

/// `keyrack yubikey change-pin`.
struct YubiKeyChangePINCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "change-pin",
        abstract: "Change the PIV PIN (factory default 123456).",
        discussion: "With --pin-stdin, stdin holds two lines: the current PIN, then the new one (6–8 characters)."
    )

    @OptionGroup var card: CardSelection

    @Flag(help: "Read the current and the new PIN from stdin, one per line.")
    var pinStdin = false

    func run() throws {
        try YubiKeyChangeReference.run(puk: false, serial: card.serial, fromStdin: pinStdin)
        print("PIN changed")
    }
}

/// The shared body of change-pin and change-puk.
enum YubiKeyChangeReference {
    static func run(puk: Bool, serial: UInt32?, fromStdin: Bool) throws {
        let what = puk ? "PUK" : "PIN"
        var secrets = CardSecrets(fromStdin: fromStdin)
        defer { secrets.wipeAll() }
        let card = try PIVCards.open(serial: serial)
        defer { card.close() }
        var old = try secrets.read(puk ? .puk(prompt: "Current PUK of YubiKey \(card.serial): ") : .pin(prompt: "Current PIN of YubiKey \(card.serial): "), what: "current \(what)")
        defer { wipe(&old) }
        var new = try secrets.readNew(puk: puk)
        defer { wipe(&new) }
        try card.changeReference(puk: puk, old: old, new: new)
    }
}
