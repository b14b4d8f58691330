import ArgumentParser

/// `keyrack yubikey change-pin` (KeyrackApp's CardReferenceChange).
struct YubiKeyChangePINCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "change-pin",
        abstract: "Change the PIV PIN (factory default 123456).",
        discussion: "With --pin-stdin, stdin holds two lines: the current PIN, then the new one (6–8 characters)."
    )

    @OptionGroup var card: CardReferenceOptions

    func run() throws { try card.change(.changePIN, done: "PIN changed") }
}
