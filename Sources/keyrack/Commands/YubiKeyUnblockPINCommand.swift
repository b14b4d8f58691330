import ArgumentParser

/// `keyrack yubikey unblock-pin`: what a blocked PIN's error message points to (KeyrackApp's CardReferenceChange).
struct YubiKeyUnblockPINCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unblock-pin",
        abstract: "Set a new PIN with the PUK, unblocking a blocked PIN.",
        discussion: "With --pin-stdin, stdin holds two lines: the PUK, then the new PIN (6–8 characters)."
    )

    @OptionGroup var card: CardReferenceOptions

    func run() throws { try card.change(.unblockPIN, done: "PIN unblocked and changed") }
}
