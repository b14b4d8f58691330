import Foundation
import TestSupport
import XCTest

/// `keyrack yubikey …` and `keyrack age` with YubiKey keys, as a user runs them, against a
/// simulated card. Run as `scripts/with-simulated-yubikey -- swift test --filter CLITests.YubiKey`.
final class YubiKeyCLITests: XCTestCase {
    struct ListedSlot: Decodable {
        var slot: String, algorithm: String, pinPolicy: String?, touchPolicy: String?
        var recipient: String?, identity: String?, name: String?, madeForAge: Bool
    }
    struct ListedCard: Decodable { var serial: UInt32, reader: String, firmware: String, slots: [ListedSlot] }

    /// Cards come from TestSupport.SimulatedCard, which throws (the test fails) outside
    /// scripts/with-simulated-yubikey; KEYRACK_NO_CARD_TESTS=1 (never on CI) skips instead.
    override func setUpWithError() throws {
        try XCTSkipIf(SimulatedCard.cardTestsDisabled, "KEYRACK_NO_CARD_TESTS=1")
    }

    func list() throws -> [ListedCard] {
        let r = try Run.keyrack(["yubikey", "list", "--json"])
        XCTAssertEqual(r.status, 0, r.description)
        return try JSONDecoder().decode([ListedCard].self, from: Data(r.stdout))
    }

    func testSetupPrintsIdentityFileAndListShowsTheSlot() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let r = try Run.keyrack(["yubikey", "setup", "--serial", String(card.serial), "--pin-stdin", "--pin-policy", "never",
                                 "--touch-policy", "never", "--name", "ci robot"], stdin: Array("123456\n".utf8))
        XCTAssertEqual(r.status, 0, r.description)
        let lines = r.out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 7, r.out)
        XCTAssertEqual(lines[0], "#       Serial: \(card.serial), Slot: 1")
        XCTAssertEqual(lines[1], "#         Name: ci robot")
        XCTAssertEqual(lines[3], "#   PIN policy: Never")
        XCTAssertEqual(lines[4], "# Touch policy: Never")
        XCTAssertTrue(lines[5].hasPrefix("#    Recipient: age1yubikey1"), lines[5])
        XCTAssertTrue(lines[6].hasPrefix("AGE-PLUGIN-YUBIKEY-1"), lines[6])
        let warnings = r.err.split(separator: "\n").filter { $0.hasPrefix("warning: ") && $0.contains("factory default") }
        // Setup made the management key PIN-protected, so only the factory PIN and PUK are left.
        XCTAssertEqual(warnings.count, 2, "a fresh card's PIN and PUK are each pointed out: \(r.err)")
        for command in ["change-pin", "change-puk"] {
            XCTAssertTrue(warnings.contains { $0.contains("`keyrack yubikey \(command)`") }, "\(command): \(r.err)")
        }
        XCTAssertFalse(r.out.contains("123456") || r.err.contains("123456 ") , "the PIN is never echoed")

        let listed = try XCTUnwrap(list().first { $0.serial == card.serial })
        XCTAssertEqual(listed.firmware, "5.4.3")
        XCTAssertEqual(listed.slots.count, 1)
        let slot = listed.slots[0]
        XCTAssertEqual(slot.slot, "82")
        XCTAssertEqual(slot.algorithm, "P-256")
        XCTAssertEqual(slot.pinPolicy, "never")
        XCTAssertEqual(slot.touchPolicy, "never")
        XCTAssertEqual(slot.name, "ci robot")
        XCTAssertTrue(slot.madeForAge)
        XCTAssertEqual("#    Recipient: " + (slot.recipient ?? ""), lines[5])
        XCTAssertEqual(slot.identity, lines[6])

        let human = try Run.keyrack(["yubikey", "list"])
        XCTAssertEqual(human.status, 0)
        XCTAssertTrue(human.out.contains("YubiKey \(card.serial)"), human.out)
        XCTAssertTrue(human.out.contains(slot.recipient!), human.out)
    }

    func testAgeEncryptToYubiKeyRecipientHasPluginStanzaShapeAndDecryptsWithStub() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let dir = try TempDirectory()
        defer { dir.remove() }
        let idPath = dir.file("yubikey.txt").path
        let setup = try Run.keyrack(["yubikey", "setup", "--serial", String(card.serial), "--pin-stdin", "--pin-policy", "never",
                                     "--touch-policy", "never", "-o", idPath], stdin: Array("123456".utf8))
        XCTAssertEqual(setup.status, 0, setup.description)
        let recipient = setup.out.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(recipient.hasPrefix("age1yubikey1"), recipient)
        let mode = try FileManager.default.attributesOfItem(atPath: idPath)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
        // -o never overwrites.
        let again = try Run.keyrack(["yubikey", "setup", "--pin-stdin", "-o", idPath], stdin: Array("123456".utf8))
        XCTAssertEqual(again.status, 2, again.description)

        let plaintext = randomBytes(3000)
        let enc = try Run.keyrack(["age", "encrypt", "-r", recipient], stdin: plaintext)
        XCTAssertEqual(enc.status, 0, enc.description)
        // The stanza's exact shape (tag, share, body, tag per recipient) is
        // AgeYubiKeyTests/PIVP256FormatTests.testWrapHasExactShapeAndRoundTrips.
        XCTAssertTrue(String(decoding: enc.stdout.prefix(400), as: UTF8.self).hasPrefix("age-encryption.org/v1\n-> piv-p256 "))
        let file = try dir.write("secret.age", enc.stdout)
        let dec = try Run.keyrack(["age", "decrypt", "-i", idPath, file.path])
        XCTAssertEqual(dec.status, 0, dec.description)
        XCTAssertEqual(dec.stdout, plaintext)
    }

    func testTwoCardsNeedSerialAndCardErrorsExitFive() throws {
        let a = try SimulatedCard.insert()
        defer { a.remove() }
        let b = try SimulatedCard.insert()
        defer { b.remove() }
        let guess = try Run.keyrack(["yubikey", "setup", "--pin-stdin"], stdin: Array("123456".utf8))
        XCTAssertEqual(guess.status, 5, guess.description)
        XCTAssertTrue(guess.err.contains("--serial"), guess.err)
        XCTAssertTrue(guess.err.contains(String(a.serial)) && guess.err.contains(String(b.serial)), guess.err)
        let picked = try Run.keyrack(["yubikey", "setup", "--serial", String(b.serial), "--pin-stdin", "--pin-policy", "never",
                                      "--touch-policy", "never"], stdin: Array("123456".utf8))
        XCTAssertEqual(picked.status, 0, picked.description)
        XCTAssertTrue(picked.out.contains("Serial: \(b.serial)"), picked.out)
        let cards = try list()
        XCTAssertEqual(cards.first { $0.serial == a.serial }?.slots.count, 0)
        XCTAssertEqual(cards.first { $0.serial == b.serial }?.slots.count, 1)

        let wrongPIN = try Run.keyrack(["yubikey", "setup", "--serial", String(a.serial), "--pin-stdin"], stdin: Array("999999".utf8))
        XCTAssertEqual(wrongPIN.status, 5, wrongPIN.description)
        XCTAssertTrue(wrongPIN.err.contains("2 tries left"), wrongPIN.err)
        XCTAssertFalse(wrongPIN.err.contains("999999"))

        let missing = try Run.keyrack(["yubikey", "setup", "--serial", "1", "--pin-stdin"], stdin: Array("123456".utf8))
        XCTAssertEqual(missing.status, 5, missing.description)
        XCTAssertTrue(missing.err.contains("serial 1 "), missing.err)

        // A removed card: decrypting for it says which card to plug in.
        let dir = try TempDirectory()
        defer { dir.remove() }
        let idPath = dir.file("id.txt").path
        let made = try Run.keyrack(["yubikey", "setup", "--serial", String(b.serial), "--pin-stdin", "--pin-policy", "never",
                                    "--touch-policy", "never", "-o", idPath], stdin: Array("123456".utf8))
        XCTAssertEqual(made.status, 0, made.description)
        let enc = try Run.keyrack(["age", "encrypt", "-r", made.out.trimmingCharacters(in: .whitespacesAndNewlines)], stdin: [1, 2, 3])
        XCTAssertEqual(enc.status, 0)
        let file = try dir.write("f.age", enc.stdout)
        b.remove()
        let dec = try Run.keyrack(["age", "decrypt", "-i", idPath, file.path])
        XCTAssertEqual(dec.status, 5, dec.description)
        XCTAssertTrue(dec.err.contains("serial \(b.serial)"), dec.err)
    }

    func testChangePINPUKAndManagementKeyFromStdin() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let s = String(card.serial)
        let bad = try Run.keyrack(["yubikey", "change-pin", "--serial", s, "--pin-stdin"], stdin: Array("123456\n123\n".utf8))
        XCTAssertEqual(bad.status, 2, bad.description)  // too short: refused before reaching the card
        let pin = try Run.keyrack(["yubikey", "change-pin", "--serial", s, "--pin-stdin"], stdin: Array("123456\n97531864\n".utf8))
        XCTAssertEqual(pin.status, 0, pin.description)
        let puk = try Run.keyrack(["yubikey", "change-puk", "--serial", s, "--pin-stdin"], stdin: Array("12345678\n86420975\n".utf8))
        XCTAssertEqual(puk.status, 0, puk.description)
        let mgm = try Run.keyrack(["yubikey", "change-management-key", "--serial", s, "--pin-stdin"], stdin: Array("97531864\n".utf8))
        XCTAssertEqual(mgm.status, 0, mgm.description)
        XCTAssertTrue(mgm.out.contains("PIN-protected"), mgm.out)
        // No more factory warnings; the old PIN fails with tries left, the new one works.
        let old = try Run.keyrack(["yubikey", "setup", "--serial", s, "--pin-stdin"], stdin: Array("123456\n".utf8))
        XCTAssertEqual(old.status, 5, old.description)
        XCTAssertTrue(old.err.contains("tries left"), old.err)
        let ok = try Run.keyrack(["yubikey", "setup", "--serial", s, "--pin-stdin", "--pin-policy", "never", "--touch-policy", "never"],
                                 stdin: Array("97531864\n".utf8))
        XCTAssertEqual(ok.status, 0, ok.description)
        XCTAssertFalse(ok.err.contains("factory default"), ok.err)
    }

    func testPINNeverComesFromArgv() throws {
        let r = try Run.keyrack(["yubikey", "setup", "--pin", "123456"])
        XCTAssertEqual(r.status, 2, r.description)
    }
}
