import AgeFormat
import AgeYubiKey
import KeyrackCore
import PIV

/// `keyrack yubikey list`: every plugged-in card, its used slots, and the age recipient of each
/// P-256 slot (`age1yubikey1…`, and as `age1tag1…`) and X25519 slot (`age1…`, firmware 5.7+).
public struct CardListing: Codable, Equatable {
    public struct Slot: Codable, Equatable {
        public var slot: String
        public var algorithm: String
        public var pinPolicy: String?
        public var touchPolicy: String?
        public var name: String?
        public var recipient: String?
        /// The same key as C2SP's `age1tag1…` (p256tag), which age ≥ 1.3 encrypts to natively.
        public var tagRecipient: String?
        public var identity: String?
        public var madeForAge: Bool
    }

    public var serial: UInt32
    public var reader: String
    public var firmware: String
    public var slots: [Slot]

    public static func plugged() throws -> [CardListing] {
        try YubiKeyRecipientSource.listCards().map { card in
            CardListing(serial: card.serial, reader: card.reader, firmware: card.version.description, slots: card.slots.map { s in
                Slot(slot: s.info.slot.description, algorithm: algorithmName(s.info.algorithm),
                     pinPolicy: s.info.pinPolicy?.description, touchPolicy: s.info.touchPolicy?.description,
                     name: s.info.name, recipient: s.recipient?.string ?? x25519Recipient(s.info)?.string,
                     tagRecipient: s.recipient.flatMap { try? P256TagRecipient(point: $0.compressedPoint).string }, identity: s.stub?.string,
                     madeForAge: s.info.isAgeIdentity)
            })
        }
    }

    /// The plain age recipient of an X25519 slot.
    static func x25519Recipient(_ info: PIVSlotInfo) -> X25519Recipient? {
        guard info.algorithm == PIVAlgorithm.x25519, let key = info.publicKey else { return nil }
        return try? X25519Recipient(publicKey: key)
    }

    static func algorithmName(_ alg: UInt8?) -> String {
        switch alg {
        case PIVAlgorithm.eccP256?: return "P-256"
        case PIVAlgorithm.eccP384?: return "P-384"
        case PIVAlgorithm.x25519?: return "X25519"
        case PIVAlgorithm.ed25519?: return "Ed25519"
        case 0x06?: return "RSA-1024"
        case 0x07?: return "RSA-2048"
        case nil: return "certificate only"
        case let a?: return "algorithm 0x" + String(a, radix: 16)
        }
    }
}
