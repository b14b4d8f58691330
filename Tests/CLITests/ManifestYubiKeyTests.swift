import Foundation
import TestSupport
import XCTest

/// `init --via yubikey` against the simulated card (run inside scripts/with-simulated-yubikey):
/// the manifest is wrapped to the card's P-256 key and opens with one ECDH on the card.
final class ManifestYubiKeyTests: XCTestCase {
    func testRobotOnYubiKeyAndAgeRobotAreIsolated() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let h = try ManifestHarness()
        let made = try ManifestHarness.json(try h.ok(["init", "--for", "seaturtle", "--via", "yubikey", "--serial", String(card.serial),
                                                     "--pin-stdin", "--json"], stdin: "123456\n"))
        let recipient = try XCTUnwrap(made["recipient"] as? String)
        XCTAssertTrue(recipient.hasPrefix("age1yubikey1"), recipient)
        try h.ok(["set", "--for", "seaturtle", "--key", "GITHUB_TOKEN", "--env", "sudo", "--vault", "os.secure"], stdin: "card-protected")
        let list = try ManifestHarness.json(try h.ok(["list", "--for", "seaturtle", "--json"]))
        XCTAssertEqual((list["keys"] as? [[String: Any]])?.map { $0["slug"] as? String }, ["@all.sudo.GITHUB_TOKEN"])

        // The file's only stanza is piv-p256, the shape age-plugin-yubikey reads.
        let armored = try String(contentsOf: h.manifest("seaturtle"), encoding: .utf8)
        let body = armored.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        let header = String(decoding: try XCTUnwrap(Data(base64Encoded: body)).prefix(400), as: UTF8.self)
        XCTAssertTrue(header.contains("-> piv-p256 "), header)
        XCTAssertFalse(header.contains("-> X25519 "), header)
        let recipients = try String(contentsOf: h.keyrackHome.appendingPathComponent("host.seaturtle.recipients.yml"), encoding: .utf8)
        XCTAssertTrue(recipients.contains("serial: \(card.serial)"), recipients)

        // Another owner's identity cannot open it; re-init changes nothing and needs no PIN.
        try h.ok(["init", "--for", "mechanic", "--via", "age"])
        let refused = try h.keyrack(["list", "--for", "seaturtle", "--identity", h.keyrackHome.appendingPathComponent("identities/mechanic.txt").path])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.err.contains("owner seaturtle") && refused.err.contains("age1yubikey1"), refused.err)
        // The library's typed remedy, worded by the CLI with its option.
        XCTAssertTrue(refused.err.hasSuffix("no identity tried matches: pass --identity PATH with the matching private key or identity file\n"), refused.err)
        let before = try h.snapshot()
        XCTAssertTrue(try h.ok(["init", "--for", "seaturtle", "--via", "yubikey"]).out.contains("already initialised"))
        XCTAssertEqual(try h.snapshot(), before)

        // With the card gone, opening the manifest is a card problem: exit 5.
        card.remove()
        let noCard = try h.keyrack(["list", "--for", "seaturtle"])
        XCTAssertEqual(noCard.status, 5, "\(noCard)")
    }
}
