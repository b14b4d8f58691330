import AgeFormat
import Foundation
import PIV

/// A card as `keyrack yubikey list` shows it: its slots, and for each P-256 slot the age
/// recipient and identity stub it corresponds to.
public struct YubiKeyCard: Sendable {
    public struct Slot: Sendable {
        public var info: PIVSlotInfo
        public var recipient: PIVP256Recipient?
        public var stub: YubiKeyStub?
    }
    public var reader: String
    public var serial: UInt32
    public var version: FirmwareVersion
    public var slots: [Slot]
}

/// What `setup` made.
public struct YubiKeySetup: Sendable {
    public var recipient: PIVP256Recipient
    public var stub: YubiKeyStub
    public var serial: UInt32
    public var slot: PIVSlot
    public var pinPolicy: PINPolicy
    public var touchPolicy: TouchPolicy
    public var name: String
    public var created: Date
    /// The identity file as age-plugin-yubikey `--generate` writes it.
    public var identityFile: String
    public var managementKey: ManagementKeyOutcome
    /// Which factory secrets the card still has after setup (the CLI warns about each).
    public var factoryDefaults: FactoryDefaults
}

/// The YubiKey side of keyrack, for the CLI and the manifests: derive a recipient (generating a
/// key if asked), build the identity that unwraps with the card, list cards.
public enum YubiKeyRecipientSource {
    public static let tool = "keyrack"

    /// Generates a P-256 key in `slot` (default: first free retired slot) of the card `serial`
    /// (default: the only card) with the given policies, stores its certificate, and returns the
    /// recipient and the identity stub. `pin` is the card's current PIN; the caller wipes it.
    public static func setup(serial: UInt32?, slot: PIVSlot?, pinPolicy: PINPolicy, touchPolicy: TouchPolicy,
                             pin: [UInt8], name: String? = nil, touchNotifier: TouchNotifier? = nil) throws -> YubiKeySetup {
        let card = try PIVCards.open(serial: serial)
        defer { card.close() }
        let cardSerial = card.serial
        var chosenName = name ?? ""
        let generated = try card.generateIdentityKey(
            slot: slot, pinPolicy: pinPolicy, touchPolicy: touchPolicy, pin: pin,
            name: { point in
                if chosenName.isEmpty, let r = try? PIVP256Recipient(point: point) {
                    chosenName = "age identity " + r.tag.map { String(format: "%02x", $0) }.joined()
                }
                return chosenName
            }, tool: tool, touchWait: touchNotifier.map { n in { n(cardSerial) } })
        let recipient = try PIVP256Recipient(point: generated.publicKey)
        let stub = try YubiKeyStub(serial: generated.serial, slot: generated.slot, recipient: recipient)
        let created = Date()
        let defaults = (try? card.factoryDefaults()) ?? FactoryDefaults()
        return YubiKeySetup(
            recipient: recipient, stub: stub, serial: generated.serial, slot: generated.slot,
            pinPolicy: pinPolicy, touchPolicy: touchPolicy, name: chosenName, created: created,
            identityFile: stub.identityFile(recipient: recipient, name: chosenName, created: created,
                                            pinPolicy: pinPolicy, touchPolicy: touchPolicy),
            managementKey: generated.managementKey, factoryDefaults: defaults)
    }

    /// The identity for the key in `slot` of card `serial`. Reads the card once (public data
    /// only) to learn the recipient's tag.
    public static func identity(serial: UInt32, slot: PIVSlot, pinProvider: PINProvider?,
                                touchNotifier: TouchNotifier?) throws -> YubiKeyIdentity {
        let recipient = try self.recipient(serial: serial, slot: slot)
        return YubiKeyIdentity(stub: try YubiKeyStub(serial: serial, slot: slot, recipient: recipient),
                               pinProvider: pinProvider, touchNotifier: touchNotifier)
    }

    /// The identity for a known recipient: no card access until a stanza needs unwrapping.
    public static func identity(serial: UInt32, slot: PIVSlot, recipient: PIVP256Recipient, pinProvider: PINProvider?,
                                touchNotifier: TouchNotifier?) throws -> YubiKeyIdentity {
        YubiKeyIdentity(stub: try YubiKeyStub(serial: serial, slot: slot, recipient: recipient),
                        pinProvider: pinProvider, touchNotifier: touchNotifier, recipient: recipient)
    }

    /// The recipient of the P-256 key in `slot` (no PIN, no touch).
    public static func recipient(serial: UInt32?, slot: PIVSlot) throws -> PIVP256Recipient {
        let card = try PIVCards.open(serial: serial)
        defer { card.close() }
        return try PIVP256Recipient(point: card.p256Key(slot).publicKey!)
    }

    /// Every card and its used slots, with recipients for the P-256 ones.
    public static func listCards() throws -> [YubiKeyCard] {
        try PIVCards.list().map { summary in
            YubiKeyCard(reader: summary.reader, serial: summary.serial, version: summary.version, slots: summary.slots.map { info in
                var slot = YubiKeyCard.Slot(info: info)
                if info.algorithm == PIVAlgorithm.eccP256, let point = info.publicKey, let r = try? PIVP256Recipient(point: point) {
                    slot.recipient = r
                    if info.slot.isRetired { slot.stub = try? YubiKeyStub(serial: summary.serial, slot: info.slot, recipient: r) }
                }
                return slot
            })
        }
    }
}
