import ArgumentParser
import Foundation
import KeyrackApp
import KeyrackClient
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

    func run() throws {
        let rows = try CardListing.plugged()
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
}
