import Foundation
import TestSupport
import XCTest

/// `init --via yubikey --algorithm x25519` (YubiKey firmware 5.7+): the slot holds an X25519 key,
/// the owner's recipient is a plain `age1…` that Debian's age encrypts to natively, and keyrack
/// opens the manifest with an X25519 on the card. ykman (the venv's) is the oracle for the slot.
final class YubiKeyX25519Tests: XCTestCase {
    func ykman(_ card: SimulatedCard, _ args: [String]) throws -> RunResult {
        try Run.process("ykman", ["--reader", card.reader] + args)
    }

    /// `yubikey setup` on 5.7 authenticates with the AES-192 factory key and replaces it the way
    /// ykman does (ykman reads it back as a PIN-protected AES-192 key); `list` names X25519 slots.
    func testSetupAndListOnFirmware57() throws {
        let card = try SimulatedCard.insert(version: "5.7.1")
        defer { card.remove() }
        let h = try ManifestHarness()
        let setup = try h.ok(["yubikey", "setup", "--serial", String(card.serial), "--pin-stdin", "--pin-policy", "once",
                              "--touch-policy", "always", "-o", h.dir.file("id.txt").path], stdin: "123456\n")
        XCTAssertTrue(setup.err.contains("note: the factory management key was replaced by a random one stored PIN-protected on the card"),
                      setup.err)
        let piv = try ykman(card, ["piv", "info"])
        XCTAssertTrue(piv.out.contains("Management key algorithm: AES192\n"), piv.out)
        XCTAssertTrue(piv.out.contains("Management key is stored on the YubiKey, protected by PIN.\n"), piv.out)
        XCTAssertFalse(piv.out.contains("WARNING: Using default Management key!"), piv.out)

        let gen = try ykman(card, ["piv", "keys", "generate", "-P", "123456", "-a", "X25519", "--pin-policy", "never",
                                   "--touch-policy", "never", "85", "-"])
        XCTAssertEqual(gen.status, 0, gen.description)
        let list = try h.ok(["yubikey", "list"]).out
        XCTAssertTrue(list.contains("YubiKey \(card.serial) (firmware 5.7.1, reader \"\(card.reader)\")\n"), list)
        XCTAssertTrue(list.contains("  slot 82  P-256  PIN once  touch always"), list)
        XCTAssertTrue(list.contains("  slot 85  X25519  PIN never  touch never\n    recipient: age1"), list)
    }

    func testX25519NeedsFirmware57() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let h = try ManifestHarness()
        let r = try h.keyrack(["init", "--for", "seaturtle", "--via", "yubikey", "--algorithm", "x25519",
                               "--serial", String(card.serial), "--pin-stdin"], stdin: "123456\n")
        XCTAssertEqual(r.status, 5, r.description)
        XCTAssertTrue(r.err.contains("YubiKey \(card.serial) has firmware 5.4.3; X25519 keys need firmware 5.7 or later"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: h.manifest("seaturtle").path))
        let usage = try h.keyrack(["init", "--for", "seaturtle", "--via", "age", "--algorithm", "x25519"])
        XCTAssertEqual(usage.status, 2, usage.description)
    }
}
