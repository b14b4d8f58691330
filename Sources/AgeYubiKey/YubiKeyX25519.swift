import AgeFormat
import Foundation
import PIV

/// An X25519 key in a YubiKey slot (firmware 5.7+) used as a plain age `age1…` recipient: any
/// age (Debian's 1.1.1 included) encrypts to it natively, no plugin, and the stanzas are age's
/// own `X25519`. Only decryption needs the card: the X25519 with each stanza's ephemeral share
/// is done on the card, the rest of the recipient type by AgeFormat (`X25519Unwrap`).
///
/// X25519 stanzas are anonymous (no tag names their recipient), so an identity tries each one
/// with the card until one opens: one card operation per X25519 stanza before it. keyrack writes
/// the owner's primary recipient first, so unlocking a manifest costs one.
/// `@unchecked`: as `YubiKeyIdentity` (the connection under CardConnection's locks, the caller's closures).
public final class YubiKeyX25519Identity: Identity, @unchecked Sendable {
    public let serial: UInt32
    public let slot: PIVSlot
    public let recipient: X25519Recipient
    private let pinProvider: PINProvider?
    private let touchNotifier: TouchNotifier?
    /// With `holdsCard`, the connection stays open between unwraps (the identity agent), as for
    /// `YubiKeyIdentity`: a PIN verified under policy `once` then lasts until `releaseCard`.
    private let connection: CardConnection

    public init(serial: UInt32, slot: PIVSlot, recipient: X25519Recipient, pinProvider: PINProvider? = nil,
                touchNotifier: TouchNotifier? = nil, holdsCard: Bool = false) {
        self.serial = serial
        self.slot = slot
        self.recipient = recipient
        self.pinProvider = pinProvider
        self.touchNotifier = touchNotifier
        connection = CardConnection(serial: serial, holds: holdsCard)
    }

    /// Closes a held card connection (the agent's relock). Idempotent.
    public func releaseCard() { connection.release() }

    /// Private-key operations this identity has asked the card for, over its lifetime.
    public var cardOperations: Int { connection.operations }

    public func unwrap(_ stanzas: [Stanza]) throws -> FileKey? {
        // Structure first, without a card: a malformed X25519 stanza fails the file.
        let candidates = stanzas.filter { $0.type == X25519Unwrap.stanzaType }
        for stanza in candidates { try X25519Unwrap.checkShape(stanza) }
        guard !candidates.isEmpty else { return nil }

        return try connection.use { try unwrap(candidates, on: $0) }
    }

    private func unwrap(_ candidates: [Stanza], on card: PIVCard) throws -> FileKey? {
        let info = try card.x25519Key(slot)
        guard info.publicKey == recipient.publicKey else {
            throw AgeError.invalidKey("the X25519 key in slot \(slot) of YubiKey \(serial) is not recipient \(recipient.string.prefix(16))…: the slot was reused; list the card's keys to find its recipient")
        }
        try CardPIN.satisfy(on: card, slot: slot, policy: info.pinPolicy, provider: pinProvider)
        let notifier = touchNotifier, serial = self.serial
        let fileKey = try X25519Unwrap.unwrap(candidates, recipient: recipient.publicKey) { share in
            connection.countOperation()
            return try card.x25519(slot: slot, peer: share, policies: (info.pinPolicy, info.touchPolicy),
                                   touchWait: notifier.map { n in { n(serial) } })
        }
        return fileKey
    }
}

/// What `YubiKeyX25519Keys.setup` made.
public struct YubiKeyX25519Setup: Sendable {
    public var recipient: X25519Recipient
    public var serial: UInt32
    public var slot: PIVSlot
    public var managementKey: ManagementKeyOutcome
    /// Which factory secrets the card still has after setup.
    public var factoryDefaults: FactoryDefaults
}

/// Making and finding X25519 slot keys for age.
public enum YubiKeyX25519Keys {
    /// Generates an X25519 key in `slot` (default: first free retired slot) of card `serial`
    /// (default: the only card). `pin` is the card's current PIN; the caller wipes it.
    public static func setup(serial: UInt32?, slot: PIVSlot?, pinPolicy: PINPolicy, touchPolicy: TouchPolicy,
                             pin: [UInt8]) throws -> YubiKeyX25519Setup {
        let card = try PIVCards.open(serial: serial)
        defer { card.close() }
        let made = try card.generateX25519IdentityKey(slot: slot, pinPolicy: pinPolicy, touchPolicy: touchPolicy, pin: pin)
        let defaults = (try? card.factoryDefaults()) ?? FactoryDefaults()
        return YubiKeyX25519Setup(recipient: try X25519Recipient(publicKey: made.publicKey), serial: made.serial,
                                  slot: made.slot, managementKey: made.managementKey, factoryDefaults: defaults)
    }

    /// The recipient of the X25519 key already in `slot` (no PIN, no touch), with the card's serial.
    public static func recipient(serial: UInt32?, slot: PIVSlot) throws -> (serial: UInt32, recipient: X25519Recipient) {
        let card = try PIVCards.open(serial: serial)
        defer { card.close() }
        return (card.serial, try X25519Recipient(publicKey: card.x25519Key(slot).publicKey ?? []))
    }
}
