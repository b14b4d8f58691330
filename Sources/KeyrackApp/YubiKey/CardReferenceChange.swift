import KeyrackCore
import PIV
import SecretBytes

/// `yubikey change-pin`, `change-puk` and `unblock-pin`: one shape. The secret the card checks
/// (the current PIN, the current PUK, or the PUK), then the new one (typed twice on a terminal),
/// then the card's one call; every secret wiped when done.
public enum CardReferenceChange: Equatable, Sendable {
    case changePIN, changePUK, unblockPIN

    /// Reads the secrets (stdin is read whole before the card is opened), opens the card of
    /// `serial` (the only one when nil) and changes it.
    public static func run(_ change: Self, serial: UInt32?, fromStdin: Bool) throws {
        var secrets = CardSecrets(fromStdin: fromStdin)
        defer { secrets.wipeAll() }
        let card = try PIVCards.open(serial: serial)
        defer { card.close() }
        try change.apply(to: card, secrets: &secrets)
    }

    /// The change on an open card, its secrets from `secrets` in the order the commands document.
    func apply(to card: some ReferenceCard, secrets: inout some CardSecretSource) throws {
        let current = checked(serial: card.serial)
        var old = try secrets.read(current.request, what: current.what)
        defer { wipe(&old) }
        var new = try secrets.readNew(puk: self == .changePUK)
        defer { wipe(&new) }
        switch self {
        case .changePIN, .changePUK: try card.changeReference(puk: self == .changePUK, old: old, new: new)
        case .unblockPIN: try card.unblockPIN(puk: old, newPIN: new)
        }
    }

    /// The secret the card checks before it takes the new one, as asked.
    func checked(serial: UInt32) -> (request: SecretRequest, what: String) {
        switch self {
        case .changePIN: return (.pin(prompt: "Current PIN of YubiKey \(serial): "), "current PIN")
        case .changePUK: return (.puk(prompt: "Current PUK of YubiKey \(serial): "), "current PUK")
        case .unblockPIN: return (.puk(prompt: "PUK of YubiKey \(serial): "), "PUK")
        }
    }
}

/// The card calls of a reference change: PIVCard's, a fake's in tests.
public protocol ReferenceCard {
    var serial: UInt32 { get }
    func changeReference(puk: Bool, old: [UInt8], new: [UInt8]) throws
    func unblockPIN(puk: [UInt8], newPIN: [UInt8]) throws
}

extension PIVCard: ReferenceCard {}

/// Where a card command's secrets come from: CardSecrets (terminal or stdin), a script in tests.
public protocol CardSecretSource {
    mutating func read(_ request: SecretRequest, what: String) throws -> [UInt8]
    mutating func readNew(puk: Bool) throws -> [UInt8]
}

extension CardSecrets: CardSecretSource {}
