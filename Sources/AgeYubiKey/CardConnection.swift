import Foundation
import PIV

/// How a card identity (YubiKeyIdentity, YubiKeyX25519Identity) reaches its card, one copy for
/// both: a connection opened for each unwrap and closed after it, or, with `holds` (the identity
/// agent), one connection kept open between unwraps, so the card session and with it a PIN
/// verified under policy `once` last until `release`, not as long as pcscd keeps an unused card
/// powered. Also counts the private-key operations asked of the card, which tests and the
/// agent's relock read.
/// `@unchecked`: the held connection (a libykpiv handle) is reached only under `session`, the
/// count only under `counter`.
final class CardConnection: @unchecked Sendable {
    private let serial: UInt32
    private let holds: Bool
    private let session = NSLock()
    private var held: PIVCard?
    private let counter = NSLock()
    private var count = 0

    init(serial: UInt32, holds: Bool) {
        self.serial = serial
        self.holds = holds
    }

    /// Runs `body` on the card: a fresh connection, or the held one (opened at the first use). A
    /// held connection the card was reset or re-plugged under fails with cardRemoved or a PC/SC
    /// error: it is dropped and `body` runs once more on a fresh one, which finds out which.
    func use<T>(_ body: (PIVCard) throws -> T) throws -> T {
        guard holds else {
            let card = try PIVCards.open(serial: serial)
            defer { card.close() }
            return try body(card)
        }
        session.lock(); defer { session.unlock() }
        if let card = held {
            do { return try body(card) } catch PIVError.cardRemoved, PIVError.pcsc {
                card.close()
                held = nil
            }
        }
        let card = try PIVCards.open(serial: serial)
        held = card
        return try body(card)
    }

    /// Closes a held connection (the agent's relock). Idempotent.
    func release() {
        session.lock(); defer { session.unlock() }
        held?.close()
        held = nil
    }

    /// Counts one private-key operation about to be asked of the card.
    func countOperation() {
        counter.lock(); count += 1; counter.unlock()
    }

    /// Private-key operations asked of the card, over this identity's lifetime.
    var operations: Int {
        counter.lock(); defer { counter.unlock() }
        return count
    }
}
