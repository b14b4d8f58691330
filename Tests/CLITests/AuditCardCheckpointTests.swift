import Foundation
import TestSupport
import XCTest

/// A YubiKey owner's card signs the access log (issue 31): `keyrack audit anchor --slot 9a`
/// records the slot's public key in the encrypted manifest; each unlock then has the card sign
/// the log's head, which the daemon appends as a `card-checkpoint`; `audit verify` checks each
/// one (with the manifest's card key, or `--card-key PEM`) and names the first bad record. The
/// slot's PIN policy holds: an unlock without the PIN is not asked for one and skips with a
/// note. Real parts: the simulated card behind pcscd, the built binaries, the daemon. Run inside
/// scripts/with-simulated-yubikey.
final class AuditCardCheckpointTests: XCTestCase {
    private var h: DaemonHarness!
    private var cards: [SimulatedCard] = []

    override func setUpWithError() throws {
        try XCTSkipIf(SimulatedCard.cardTestsDisabled, "KEYRACK_NO_CARD_TESTS=1")
        h = try DaemonHarness()
    }

    override func tearDown() {
        h?.tearDown()
        for card in cards { card.remove() }
    }

    /// A card with a P-256 key in 9a (`pinPolicy`), made by `keyrack yubikey setup`; returns it
    /// and the path of the public key PEM that setup printed.
    private func card(pinPolicy: String) throws -> (card: SimulatedCard, pem: String) {
        let card = try SimulatedCard.insert()
        cards.append(card)
        let setup = try h.ok(["yubikey", "setup", "--serial", String(card.serial), "--slot", "9a", "--pin-policy", pinPolicy, "--touch-policy", "never",
                              "--pin-stdin", "-o", h.machine.dir.file("card-\(card.serial).crt").path], stdin: "123456\n")
        let pem = h.machine.dir.file("card-\(card.serial).pem")
        try setup.out.write(to: pem, atomically: true, encoding: .utf8)
        return (card, pem.path)
    }

    /// Owner `bot` on `card` (its manifest on a retired slot without PIN), one key, and the
    /// card's 9a anchored as the log's signer.
    private func owner(on card: SimulatedCard) throws {
        try h.ok(["init", "--for", "bot", "--via", "yubikey", "--serial", String(card.serial), "--pin-policy", "never", "--touch-policy", "never",
                  "--pin-stdin"], stdin: "123456\n")
        try h.secure("bot", "K", "v-" + UUID().uuidString)
        let anchored = try h.ok(["audit", "anchor", "--for", "bot", "--slot", "9a", "--serial", String(card.serial)])
        XCTAssertEqual(anchored.out, "keyrack audit anchor: YubiKey \(card.serial) slot 9a signs the access log of 'bot' at each unlock\n")
    }

    private func signatures(_ card: SimulatedCard) throws -> Int { try card.stateValue("signCount") as? Int ?? 0 }

    func testEachUnlockAddsACardCheckpointThatVerifiesWithTheManifestAndTheCardKey() throws {
        let (card, pem) = try card(pinPolicy: "once")
        try owner(on: card)
        let signs = try signatures(card)
        for _ in 0..<2 {
            let r = try h.ok(["unlock", "--for", "bot", "--env", "test", "--pin-stdin"], stdin: "123456\n")
            XCTAssertTrue(r.err.contains("note: YubiKey \(card.serial) slot 9a signed the access log's head (record "), r.err)
            try h.ok(["relock", "--for", "bot"])
        }
        XCTAssertEqual(try signatures(card) - signs, 2, "one card signature per unlock")

        // Each names an earlier record: the unlock's, handed over just before.
        let cardRecords = try h.assertCheckpointsCoverUnlocks("bot", count: 2, slot: "9a", signedBy: "signed by YubiKey \(card.serial) slot 9a")
        for r in cardRecords { XCTAssertEqual(r["serial"] as? Int, Int(card.serial)) }

        let withManifest = try h.ok(["audit", "verify", "--for", "bot", "--manifest"])
        XCTAssertTrue(withManifest.out.hasSuffix("; 2 card checkpoint(s) by the owner's card\n"), withManifest.out)
        let withPEM = try h.ok(["audit", "verify", "--for", "bot", "--card-key", pem, "--json"])
        let report = try ManifestHarness.json(withPEM)
        XCTAssertEqual(report["ok"] as? Bool, true)
        XCTAssertEqual(report["cardCheckpoints"] as? Int, 2)
    }

    func testACheckpointSignedByAnotherCardFailsVerifyNamingIt() throws {
        let (card, pem) = try card(pinPolicy: "never")
        try owner(on: card)
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        try h.ok(["relock", "--for", "bot"])
        try h.ok(["audit", "verify", "--for", "bot", "--card-key", pem])

        // One who holds the manifest (its checkpoint seed) anchors another card and unlocks:
        // its checkpoints verify by themselves, not as the owner's card.
        let (other, _) = try self.card(pinPolicy: "never")
        try h.ok(["audit", "anchor", "--for", "bot", "--slot", "9a", "--serial", String(other.serial)])
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        let forged = try XCTUnwrap(try h.checkpoints("bot").last)
        XCTAssertEqual(forged["serial"] as? Int, Int(other.serial))
        let line = try XCTUnwrap(forged["seq"] as? Int) + 1

        try h.assertVerifyRefusesCheckpoint("bot", ["--card-key", pem], at: line, because: ", not the owner's ")

        // Without a key given, the card checkpoints must all be one card's.
        try h.assertVerifyRefusesCheckpoint("bot", [], at: line, because: "unlike the earlier card checkpoints")
    }

    func testAnUnlockWithoutThePINSkipsTheCardCheckpointWithANote() throws {
        let (card, pem) = try card(pinPolicy: "once")
        try owner(on: card)
        let signs = try signatures(card)
        // No terminal, no --pin-file: the robot is not asked; its keys are unlocked all the same.
        let r = try h.ok(["unlock", "--for", "bot", "--env", "test"])
        XCTAssertTrue(r.err.contains("note: no card checkpoint in the access log this time: slot 9a needs its PIN and none is at hand"), r.err)
        XCTAssertEqual(try signatures(card), signs, "nothing signed without the PIN")
        XCTAssertEqual(try h.checkpoints("bot").count, 0)
        let status = try ManifestHarness.json(try h.ok(["status", "--for", "bot", "--json"]))
        XCTAssertEqual(try XCTUnwrap(status["keys"] as? [[String: Any]]).compactMap { $0["key"] as? String }, ["K"])

        try h.ok(["unlock", "--for", "bot", "--env", "test", "--pin-stdin"], stdin: "123456\n")
        XCTAssertEqual(try h.checkpoints("bot").count, 1)
        try h.ok(["audit", "verify", "--for", "bot", "--card-key", pem])
    }
}
