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

    func testX25519OwnerOpensWithTheCardAndDebianAgeEncryptsToIt() throws {
        let card = try SimulatedCard.insert(version: "5.7.1")
        defer { card.remove() }
        let h = try ManifestHarness()
        let made = try ManifestHarness.json(try h.ok(["init", "--for", "seaturtle", "--via", "yubikey", "--algorithm", "x25519",
                                                     "--serial", String(card.serial), "--pin-stdin", "--json"], stdin: "123456\n"))
        let recipient = try XCTUnwrap(made["recipient"] as? String)
        XCTAssertTrue(recipient.hasPrefix("age1") && !recipient.hasPrefix("age1yubikey1") && recipient.count == 62, recipient)
        XCTAssertEqual(made["via"] as? String, "yubikey")

        // The card says what keyrack made: an X25519 key, generated, with the robot policies.
        let info = try ykman(card, ["piv", "keys", "info", "82"])
        XCTAssertEqual(info.out, """
            Key slot:               82 (RETIRED1)
            Algorithm:              X25519
            Origin:                 GENERATED
            PIN required for use:   NEVER
            Touch required for use: NEVER

            """, info.description)
        let cards = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try h.ok(["yubikey", "list", "--json"]).stdout)) as? [[String: Any]])
        let slots = try XCTUnwrap(cards.first { ($0["serial"] as? Int) == Int(card.serial) }?["slots"] as? [[String: Any]])
        XCTAssertEqual(slots.first?["algorithm"] as? String, "X25519")
        XCTAssertEqual(slots.first?["recipient"] as? String, recipient)
        XCTAssertEqual(try card.stateValue("version") as? [Int], [5, 7, 1])

        // The manifest's stanza is age's own X25519: nothing YubiKey-specific in the file.
        try h.ok(["set", "--for", "seaturtle", "--key", "GITHUB_TOKEN", "--env", "sudo", "--vault", "os.secure"], stdin: "card-x25519")
        let armored = try String(contentsOf: h.manifest("seaturtle"), encoding: .utf8)
        let body = armored.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        let header = String(decoding: try XCTUnwrap(Data(base64Encoded: body)).prefix(300), as: UTF8.self)
        XCTAssertTrue(header.contains("-> X25519 "), header)
        XCTAssertFalse(header.contains("piv-p256"), header)

        // Reading it costs one X25519 on the card.
        let before = try card.ecdhCount()
        let keys = try ManifestHarness.json(try h.ok(["list", "--for", "seaturtle", "--json"]))
        XCTAssertEqual((keys["keys"] as? [[String: Any]])?.map { $0["slug"] as? String }, ["@all.sudo.GITHUB_TOKEN"])
        XCTAssertEqual(try card.ecdhCount(), before + 1)

        // Debian's age 1.1.1, with no plugin, writes a manifest only the card opens: decrypt it
        // with a paper backup, re-encrypt it with `age -r` to the card's recipient alone.
        let paper = h.dir.file("paper.txt")
        XCTAssertEqual(try Run.process("age-keygen", ["-o", paper.path]).status, 0)
        let paperPub = try Run.process("age-keygen", ["-y", paper.path]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        try h.ok(["recipient", "add", "--for", "seaturtle", "--label", "paper", "--pubkey", paperPub])
        let plain = try h.ageDecrypt("seaturtle", identity: paper)
        XCTAssertEqual(plain.status, 0, plain.description)
        XCTAssertTrue(plain.out.contains("card-x25519"), "the paper backup opens it")
        let plainFile = try h.dir.write("plain.yml", plain.stdout)
        let encrypted = try Run.process("age", ["-a", "-r", recipient, "-o", h.manifest("seaturtle").path, plainFile.path])
        XCTAssertEqual(encrypted.status, 0, encrypted.description)
        try? FileManager.default.removeItem(at: plainFile)
        XCTAssertNotEqual(try h.ageDecrypt("seaturtle", identity: paper).status, 0, "now only the card's recipient")
        let ecdh = try card.ecdhCount()
        let got = try h.ok(["list", "--for", "seaturtle"])
        XCTAssertTrue(got.out.contains("@all.sudo.GITHUB_TOKEN"), got.out)
        XCTAssertEqual(try card.ecdhCount(), ecdh + 1, "Debian age's stanza opened on the card")

        // With the card gone, opening the manifest is a card problem: exit 5.
        card.remove()
        let gone = try h.keyrack(["list", "--for", "seaturtle"])
        XCTAssertEqual(gone.status, 5, gone.description)
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
