import ArgumentParser
import KeyrackApp
import KeyrackClient
import PIV
import KeyrackPresentation

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
        for card in rows { card.lines.forEach { print($0) } }
    }
}
