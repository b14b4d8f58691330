import AgeFormat
import AgeYubiKey
import ArgumentParser
import Foundation
import PIV

/// `keyrack yubikey list`: every card, its used slots, and the age recipient of each P-256 slot
/// (`age1yubikey1…`) and X25519 slot (`age1…`, firmware 5.7+).
struct YubiKeyListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List plugged-in YubiKeys, their used PIV slots and the age recipients of those slots."
    )

    @Flag(help: "Print machine-readable JSON instead of human text.")
    var json = false

    struct SlotJSON: Codable {
        var slot: String
        var algorithm: String
        var pinPolicy: String?
        var touchPolicy: String?
        var name: String?
        var recipient: String?
        /// The same key as C2SP's `age1tag1…` (p256tag), which age ≥ 1.3 encrypts to natively.
        var tagRecipient: String?
        var identity: String?
        var madeForAge: Bool
    }

    struct CardJSON: Codable {
        var serial: UInt32
        var reader: String
        var firmware: String
        var slots: [SlotJSON]
    }

    func run() throws {
        let cards = try YubiKeyRecipientSource.listCards()
        let rows = cards.map { card in
            CardJSON(serial: card.serial, reader: card.reader, firmware: card.version.description, slots: card.slots.map { s in
                SlotJSON(slot: s.info.slot.description, algorithm: Self.algorithmName(s.info.algorithm),
                         pinPolicy: s.info.pinPolicy?.description, touchPolicy: s.info.touchPolicy?.description,
                         name: s.info.name, recipient: s.recipient?.string ?? Self.x25519Recipient(s.info)?.string,
                         tagRecipient: s.recipient.flatMap { try? P256TagRecipient(point: $0.compressedPoint).string }, identity: s.stub?.string,
                         madeForAge: s.info.isAgeIdentity)
            })
        }
        if json {
            JSONLine.print(rows)
            return
        }
        if rows.isEmpty { throw PIVError.noCard }
        for card in rows {
            print("YubiKey \(card.serial) (firmware \(card.firmware), reader \"\(card.reader)\")")
            if card.slots.isEmpty { print("  no used slots: make an age identity with `keyrack yubikey setup --serial \(card.serial)`") }
            for s in card.slots {
                var line = "  slot \(s.slot)  \(s.algorithm)"
                if let p = s.pinPolicy { line += "  PIN \(p)" }
                if let t = s.touchPolicy { line += "  touch \(t)" }
                if let n = s.name { line += "  \"\(n)\"" }
                print(line)
                if let r = s.recipient { print("    recipient: \(r)") }
                if let t = s.tagRecipient { print("    or as tag: \(t)") }
                if let i = s.identity { print("    identity:  \(i)") }
            }
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
