import ArgumentParser

/// `keyrack yubikey change-puk` (KeyrackApp's CardReferenceChange).
struct YubiKeyChangePUKCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "change-puk",
        abstract: "Change the PIV PUK (factory default 12345678), which unblocks a blocked PIN.",
        discussion: "With --pin-stdin, stdin holds two lines: the current PUK, then the new one (6–8 characters)."
    )

    @OptionGroup var card: CardReferenceOptions

    func run() throws { try card.change(.changePUK, done: "PUK changed") }
}
