import PIV
import XCTest
@testable import KeyrackCore

/// The recipients file records where each identity lives as a typed location: a file, or a
/// YubiKey serial and slot together. A half-recorded card or a slot that is no PIV slot is
/// refused with its line, never read as "no identity here".
final class RecipientsFileTests: XCTestCase {
    func testLocationsRoundTrip() throws {
        let file = RecipientsFile(owner: try OwnerName("seaturtle"), uid: 1001, recipients: [
            RecipientLocation(label: "primary", via: .yubikey, pubkey: "age1yubikey1qexample", identity: .card(serial: 12345678, slot: PIVSlot(0x8a))),
            RecipientLocation(label: "laptop", via: .ssh, pubkey: "ssh-ed25519 AAAA", identity: .file("/home/u/.ssh/id_ed25519")),
            RecipientLocation(label: "paper", via: .age, pubkey: "age1paper"),
        ])
        let text = String(decoding: try file.encodeYAML(), as: UTF8.self)
        XCTAssertTrue(text.contains("serial: 12345678"), text)
        XCTAssertTrue(text.contains("slot: \"8a\""), text)
        let decoded = try RecipientsFile.decode(yaml: Array(text.utf8))
        XCTAssertEqual(decoded, file)
        XCTAssertEqual(decoded.recipients.map(\.identityPath), [nil, "/home/u/.ssh/id_ed25519", nil])
        XCTAssertEqual(decoded.recipients[0].card?.slot, PIVSlot(0x8a))
    }

    func testHalfACardIsRefused() throws {
        for (extra, expected) in [("    serial: 5\n", "slot"), ("    slot: 82\n", "serial"), ("    serial: 5\n    slot: zz\n", "not a PIV slot")] {
            let yaml = "version: 1\nowner: seaturtle\nrecipients:\n  - label: primary\n    via: yubikey\n    pubkey: age1yubikey1q\n" + extra
            XCTAssertThrowsError(try RecipientsFile.decode(yaml: Array(yaml.utf8)), extra) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(extra): \(error)")
            }
        }
    }

    func testPrimaryCardComesFromTheManifest() throws {
        let owner = OwnerRecord(name: try OwnerName("seaturtle"), via: .yubikey, pubkey: "age1yubikey1qexample",
                                yubikey: YubiKeySlot(serial: 7, slot: "83", pinPolicy: "never", touchPolicy: "never"))
        let file = RecipientsFile.from(manifest: HostManifest(owner: owner), previous: nil)
        XCTAssertEqual(file.recipients.map(\.identity), [.card(serial: 7, slot: PIVSlot(0x83))])
    }
}
