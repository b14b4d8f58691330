import Foundation
import TestSupport
import XCTest

/// Issue 28, "Scripts": every command that may open a manifest on the card takes the PIN the
/// way `unlock` does (`--pin-file`, `--pin-stdin`), so a script can `set` on a PIN-once owner.
final class PINFromScriptTests: XCTestCase {
    func testSetListAndDelOnAPINOnceYubiKeyOwnerTakeThePINFromAFileOrStdin() throws {
        try XCTSkipIf(SimulatedCard.cardTestsDisabled, "KEYRACK_NO_CARD_TESTS=1")
        var card = try SimulatedCard.insert()
        defer { card.remove() }
        let h = try ManifestHarness()
        let s = String(card.serial)
        try h.ok(["init", "--for", "robo", "--via", "yubikey", "--serial", s, "--pin-policy", "once", "--touch-policy", "never",
                  "--pin-stdin"], stdin: "123456\n")
        let pinFile = try h.dir.write("pin", Array("123456\n".utf8))
        XCTAssertEqual(chmod(pinFile.path, 0o600), 0)
        // Out and back in: the card forgets the PIN verified at init.
        card.remove()
        card = try SimulatedCard.insert(stateFile: card.stateFile)

        // No terminal and no PIN option: refused, nothing written.
        let before = try h.snapshot()
        let bare = try h.keyrack(["set", "--for", "robo", "--key", "TOKEN", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "v1")
        XCTAssertNotEqual(bare.status, 0, bare.description)
        XCTAssertEqual(try h.snapshot(), before)

        try h.ok(["set", "--for", "robo", "--key", "TOKEN", "--env", "test", "--org", "acme", "--vault", "os.secure", "--pin-file", pinFile.path], stdin: "v1")
        card.remove()
        card = try SimulatedCard.insert(stateFile: card.stateFile)
        let listed = try h.ok(["list", "--for", "robo", "--pin-stdin", "--json"], stdin: "123456\n")
        XCTAssertTrue(listed.out.contains("acme.test.TOKEN"), listed.out)
        XCTAssertFalse(listed.out.contains("123456") || listed.err.contains("123456"), "the PIN is never echoed")

        let clash = try h.keyrack(["set", "--for", "robo", "--key", "OTHER", "--env", "test", "--org", "acme", "--vault", "os.secure", "--pin-stdin"], stdin: "123456\nv2")
        XCTAssertEqual(clash.status, 2, clash.description)
        XCTAssertTrue(clash.err.contains("give the YubiKey PIN with --pin-file"), clash.err)
        XCTAssertEqual(try h.keyrack(["list", "--for", "robo", "--pin-stdin", "--pin-file", pinFile.path]).status, 2)

        card.remove()
        card = try SimulatedCard.insert(stateFile: card.stateFile)
        try h.ok(["del", "--for", "robo", "--key", "TOKEN", "--env", "test", "--org", "acme", "--pin-file", pinFile.path])
        XCTAssertFalse(try h.ok(["list", "--for", "robo", "--pin-file", pinFile.path]).out.contains("TOKEN"))

        // A PIN file others may read is refused, as unlock refuses it.
        XCTAssertEqual(chmod(pinFile.path, 0o644), 0)
        let loose = try h.keyrack(["list", "--for", "robo", "--pin-file", pinFile.path])
        XCTAssertEqual(loose.status, 2, loose.description)
    }
}
