import ArgumentParser
import KeyrackApp
import KeyrackPresentation

/// `keyrack yubikey change-pin`, `change-puk` and `unblock-pin`: one command shape over KeyrackApp's
/// CardReferenceChange; each command names only its change (the words below).
protocol YubiKeyReferenceCommand: ParsableCommand {
    static var change: CardReferenceChange { get }
    var card: CardReferenceOptions { get }
}

extension YubiKeyReferenceCommand {
    static var configuration: CommandConfiguration {
        let (name, abstract, stdin) = change.words
        return CommandConfiguration(commandName: name, abstract: abstract, discussion: "With --pin-stdin, stdin holds two lines: \(stdin) (6–8 characters).")
    }

    func run() throws { try card.change(Self.change, done: Self.change.doneLine) }
}

struct YubiKeyChangePINCommand: YubiKeyReferenceCommand {
    static let change = CardReferenceChange.changePIN
    @OptionGroup var card: CardReferenceOptions
}

struct YubiKeyChangePUKCommand: YubiKeyReferenceCommand {
    static let change = CardReferenceChange.changePUK
    @OptionGroup var card: CardReferenceOptions
}

/// What a blocked PIN's error message points to.
struct YubiKeyUnblockPINCommand: YubiKeyReferenceCommand {
    static let change = CardReferenceChange.unblockPIN
    @OptionGroup var card: CardReferenceOptions
}

extension CardReferenceChange {
    /// The command's name, abstract and stdin lines (what it says when done: CardChanges+Text).
    var words: (name: String, abstract: String, stdin: String) {
        switch self {
        case .changePIN: return ("change-pin", "Change the PIV PIN (factory default 123456).", "the current PIN, then the new one")
        case .changePUK: return ("change-puk", "Change the PIV PUK (factory default 12345678), which unblocks a blocked PIN.", "the current PUK, then the new one")
        case .unblockPIN: return ("unblock-pin", "Set a new PIN with the PUK, unblocking a blocked PIN.", "the PUK, then the new PIN")
        }
    }
}
