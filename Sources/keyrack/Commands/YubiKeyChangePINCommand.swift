import ArgumentParser
import PIV

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
        var stdin: StdinSecrets? = fromStdin ? StdinSecrets() : nil
        defer { stdin?.wipeAll() }
        let card = try PIVCards.open(serial: serial)
        defer { card.close() }
        var old = try YubiKeyPrompts.secret("Current \(what) of YubiKey \(card.serial): ", what: "current \(what)", stdin: &stdin)
        defer { wipe(&old) }
        var new = try YubiKeyPrompts.secret("New \(what) (6–8 characters): ", what: "new \(what)", stdin: &stdin)
        defer { wipe(&new) }
        if stdin == nil {
            var again = try YubiKeyPrompts.secret("New \(what) again: ", what: "new \(what)", stdin: &stdin)
            defer { wipe(&again) }
            guard again == new else { throw UsageError("the two new \(what)s differ: run the command again") }
        }
        try card.changeReference(puk: puk, old: old, new: new)
    }
}
