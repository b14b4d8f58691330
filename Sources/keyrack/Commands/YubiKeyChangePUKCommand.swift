import ArgumentParser
import PIV

/// `keyrack yubikey change-puk`.
struct YubiKeyChangePUKCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "change-puk",
        abstract: "Change the PIV PUK (factory default 12345678), which unblocks a blocked PIN.",
        discussion: "With --pin-stdin, stdin holds two lines: the current PUK, then the new one (6–8 characters)."
    )

    @OptionGroup var card: CardSelection

    @Flag(help: "Read the current and the new PUK from stdin, one per line.")
    var pinStdin = false

    func run() throws {
        try YubiKeyChangeReference.run(puk: true, serial: card.serial, fromStdin: pinStdin)
        print("PUK changed")
    }
}
