import AgeFormat
import Crypto
import Foundation
import PIV

/// What a PIN prompt needs to say.
public struct PINRequest: Sendable {
    public let serial: UInt32
    public let slot: PIVSlot
    /// Tries left before the PIN blocks, when the card said.
    public let triesLeft: Int?
    /// "Enter PIN for YubiKey with serial N", as age-plugin-yubikey asks.
    public var prompt: String { "Enter PIN for YubiKey with serial \(serial)" + (triesLeft.map { " (\($0) tries left)" } ?? "") + ": " }
}

/// Supplies the PIN when the card needs it; nil means the user declined.
public typealias PINProvider = (PINRequest) throws -> [UInt8]?
/// Called when the card has been waiting for a touch for half a second, with the card's serial.
public typealias TouchNotifier = (UInt32) -> Void

/// An `AGE-PLUGIN-YUBIKEY-1…` identity backed by a card: unwrapping a `piv-p256` or `p256tag`
/// stanza (the same P-256 key serves both) costs exactly one ECDH on the card. The PIN is asked through `pinProvider` only when the slot's
/// policy needs it and the card is not already verified, and a wrong PIN is reported, never
/// retried: every retry would spend one of the card's three.
/// `@unchecked`: the card connection is CardConnection's, under its locks; the PIN provider and
/// touch notifier are the caller's closures, not `@Sendable`.
public final class YubiKeyIdentity: Identity, @unchecked Sendable {
    public let stub: YubiKeyStub
    private let pinProvider: PINProvider?
    private let touchNotifier: TouchNotifier?
    /// With `holdsCard`, the connection stays open between unwraps (the identity agent): the
    /// card session, and with it a verified PIN, then lasts until `releaseCard`. The agent
    /// releases it after each request where pcscd lets every local user reach the card
    /// (`PINRetention.resetAfterUse`).
    private let connection: CardConnection
    /// The slot's public key (uncompressed) when known without the card, to also accept
    /// `p256tag` stanzas tagged by the spec example's earlier formula.
    private let knownPoint: [UInt8]?

    public init(stub: YubiKeyStub, pinProvider: PINProvider? = nil, touchNotifier: TouchNotifier? = nil, holdsCard: Bool = false,
                recipient: PIVP256Recipient? = nil) {
        self.stub = stub
        knownPoint = recipient.flatMap { try? P256.KeyAgreement.PublicKey(compressedRepresentation: $0.compressedPoint) }
            .map { Array($0.x963Representation) }
        self.pinProvider = pinProvider
        self.touchNotifier = touchNotifier
        connection = CardConnection(serial: stub.serial, holds: holdsCard)
    }

    /// Closes a held card connection (the agent's relock). Idempotent.
    public func releaseCard() { connection.release() }

    /// Private-key operations this identity has asked any card for, over its lifetime.
    public var cardOperations: Int { connection.operations }

    /// Reads the recipient from the card (no PIN, no touch), checking it matches the stub.
    public func recipient() throws -> PIVP256Recipient {
        let card = try PIVCards.open(serial: stub.serial)
        defer { card.close() }
        return try recipient(on: card).recipient
    }

    private func recipient(on card: PIVCard) throws -> (recipient: PIVP256Recipient, info: PIVSlotInfo) {
        let info = try card.p256Key(stub.slot)
        let recipient = try PIVP256Recipient(point: info.publicKey!)
        guard recipient.tag == stub.tag else {
            throw AgeError.invalidKey("the YubiKey identity does not match the key in slot \(stub.slot) of YubiKey \(stub.serial): the slot was reused; list the card's keys to find the right identity")
        }
        return (recipient, info)
    }

    public func unwrap(_ stanzas: [Stanza]) throws -> FileKey? {
        // Structure first, and without a card: a malformed piv-p256 stanza fails the file; one
        // with another tag is simply not ours.
        var mine: [PIVP256.Parsed] = []
        var tagged: [P256Tag.Parsed] = []
        for stanza in stanzas {
            if stanza.type == PIVP256.stanzaType {
                let parsed = try PIVP256.Parsed(stanza)
                if parsed.tag == stub.tag { mine.append(parsed) }
            } else if stanza.type == P256Tag.stanzaType {
                let parsed = try P256Tag.Parsed(stanza)
                if parsed.tag == P256Tag.tag(enc: parsed.enc, recipientHash: stub.tag)
                    || knownPoint.map({ parsed.tag == P256Tag.draftTag(enc: parsed.enc, recipientUncompressed: $0) }) == true {
                    tagged.append(parsed)
                }
            }
        }
        guard !mine.isEmpty || !tagged.isEmpty else { return nil }

        return try connection.use { try unwrap(mine, tagged, on: $0) }
    }

    private func unwrap(_ mine: [PIVP256.Parsed], _ tagged: [P256Tag.Parsed], on card: PIVCard) throws -> FileKey? {
        let (recipient, info) = try recipient(on: card)
        try CardPIN.satisfy(on: card, slot: stub.slot, policy: info.pinPolicy, provider: pinProvider)
        let notifier = touchNotifier
        let serial = stub.serial
        func ecdh(_ peer: [UInt8]) throws -> [UInt8] {
            connection.countOperation()
            return try card.ecdh(slot: stub.slot, peer: peer, policies: (info.pinPolicy, info.touchPolicy),
                                 touchWait: notifier.map { n in { n(serial) } })
        }
        for parsed in mine {
            if let fileKey = try parsed.open(sharedX: try ecdh(Array(parsed.ephemeral.x963Representation)), recipient: recipient.compressedPoint) {
                return fileKey
            }
        }
        let uncompressed = Array(try P256.KeyAgreement.PublicKey(compressedRepresentation: recipient.compressedPoint).x963Representation)
        for parsed in tagged {
            if let fileKey = try parsed.open(sharedX: try ecdh(parsed.enc), recipientUncompressed: uncompressed) { return fileKey }
        }
        throw AgeError.malformedStanza("a \(mine.isEmpty ? P256Tag.stanzaType : PIVP256.stanzaType) stanza for YubiKey \(serial) slot \(stub.slot) failed to decrypt: the file is corrupted or was tampered with")
    }
}
