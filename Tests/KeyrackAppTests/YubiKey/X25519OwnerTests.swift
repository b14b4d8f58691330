import Foundation
@testable import KeyrackApp
import KeyrackClient
import KeyrackCore
import PIV
import TestSupport
import XCTest
import KeyrackNames

/// An owner on a firmware 5.7 card's X25519 slot, in-process on the simulated card (ykman, the
/// venv's, and Debian's age are the oracles): the slot keyrack makes, the manifest Debian's age
/// writes to it, a key made by ykman taken as it is, a P-256 slot refused for x25519.
final class X25519OwnerTests: XCTestCase {
    func testX25519OwnerOpensWithTheCardAndDebianAgeEncryptsToIt() throws {
        try XCTSkipIf(SimulatedCard.cardTestsDisabled, "KEYRACK_NO_CARD_TESTS=1")
        let card = try SimulatedCard.insert(version: "5.7.1")
        defer { card.remove() }
        let bench = try UnlockBench("keyrack-x25519")
        defer { bench.remove() }
        let owner = try OwnerName("seaturtle")
        let request = RecipientSetupRequest(owner: owner, home: bench.store.home, userHome: bench.dir.url,
                                            spec: .yubikey(YubiKeyRecipientSpec(serial: card.serial, algorithm: .x25519)),
                                            interaction: PINAnsweringTerminal(base: bench.terminal) { Array("123456".utf8) }.interaction)
        guard case .created(_, let setup) = try bench.store.initialise(owner: owner, uid: nil, request: request) else { return XCTFail("not created") }
        let recipient = setup.pubkey
        XCTAssertTrue(recipient.hasPrefix("age1") && !recipient.hasPrefix("age1yubikey1") && recipient.count == 62, recipient)
        XCTAssertEqual(setup.location.via, .yubikey)

        // The card says what keyrack made: an X25519 key, generated, with the robot policies.
        let info = try Run.process("ykman", ["--reader", card.reader, "piv", "keys", "info", "82"])
        XCTAssertEqual(info.out, """
            Key slot:               82 (RETIRED1)
            Algorithm:              X25519
            Origin:                 GENERATED
            PIN required for use:   NEVER
            Touch required for use: NEVER

            """, info.description)
        let slot = try CardListing.plugged().first { $0.serial == card.serial }?.slots.first
        XCTAssertEqual(slot?.algorithm, "X25519")
        XCTAssertEqual(slot?.recipient, recipient)
        XCTAssertEqual(try card.stateValue("version") as? [Int], [5, 7, 1])

        // The manifest's stanza is age's own X25519: nothing YubiKey-specific in the file.
        try bench.set(owner, "@all.sudo.GITHUB_TOKEN", value: "card-x25519")
        let armored = try String(contentsOf: bench.store.home.manifest(owner), encoding: .utf8)
        let header = String(decoding: try XCTUnwrap(Data(base64Encoded: armored.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined())).prefix(300), as: UTF8.self)
        XCTAssertTrue(header.contains("-> X25519 ") && !header.contains("piv-p256"), header)

        // Reading it costs one X25519 on the card.
        func listed() throws -> [String] { try bench.store.load(owner: owner, identities: try bench.identities(owner)).keys.values.map { "\($0.slug)" } }
        let before = try card.ecdhCount()
        XCTAssertEqual(try listed(), ["@all.sudo.GITHUB_TOKEN"])
        XCTAssertEqual(try card.ecdhCount(), before + 1)

        // Debian's age 1.1.1, with no plugin, writes a manifest only the card opens: decrypt it
        // with a paper backup, re-encrypt it with `age -r` to the card's recipient alone.
        let paper = bench.dir.file("paper.txt")
        XCTAssertEqual(try Run.process("age-keygen", ["-o", paper.path]).status, 0)
        let paperPub = try Run.process("age-keygen", ["-y", paper.path]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try bench.store.addRecipient(owner: owner, label: try RecipientLabel("paper"), publicKey: paperPub, identityPath: nil, identities: try bench.identities(owner))
        let manifest = bench.store.home.manifest(owner).path
        let plain = try Run.process("age", ["-d", "-i", paper.path, manifest])
        XCTAssertEqual(plain.status, 0, plain.description)
        XCTAssertTrue(plain.out.contains("card-x25519"), "the paper backup opens it")
        let plainFile = try bench.dir.write("plain.yml", plain.stdout)
        XCTAssertEqual(try Run.process("age", ["-a", "-r", recipient, "-o", manifest, plainFile.path]).status, 0)
        try FileManager.default.removeItem(at: plainFile)
        XCTAssertNotEqual(try Run.process("age", ["-d", "-i", paper.path, manifest]).status, 0, "now only the card's recipient")
        let ecdh = try card.ecdhCount()
        XCTAssertEqual(try listed(), ["@all.sudo.GITHUB_TOKEN"])
        XCTAssertEqual(try card.ecdhCount(), ecdh + 1, "Debian age's stanza opened on the card")

        // With the card gone, opening the manifest is a card problem: exit 5.
        card.remove()
        XCTAssertThrowsError(try listed()) { error in
            let exit5 = (error as? KeyrackError).map { $0.kind == .card } ?? (error is PIVError)
            XCTAssertTrue(exit5, "exit 5: \(error)")
        }
    }

    /// A key made with ykman (not keyrack) is used as is: `--slot` names it, no PIN is needed.
    func testX25519KeyMadeByYkmanIsUsedAsIs() throws {
        try XCTSkipIf(SimulatedCard.cardTestsDisabled, "KEYRACK_NO_CARD_TESTS=1")
        let card = try SimulatedCard.insert(version: "5.7.1")
        defer { card.remove() }
        let bench = try UnlockBench("keyrack-x25519")
        defer { bench.remove() }
        let m = "010203040506070801020304050607080102030405060708"
        let gen = try Run.process("ykman", ["--reader", card.reader, "piv", "keys", "generate", "-m", m, "-a", "X25519", "--pin-policy", "never",
                                            "--touch-policy", "never", "85", "-"])
        XCTAssertEqual(gen.status, 0, gen.description)
        /// `init --for OWNER --via yubikey --algorithm x25519 --serial S --slot SLOT`.
        func initialise(_ name: String, slot: String) throws -> HostManifestStore.InitOutcome {
            let owner = try OwnerName(name)
            return try bench.store.initialise(owner: owner, uid: nil, request: RecipientSetupRequest(
                owner: owner, home: bench.store.home, userHome: bench.dir.url,
                spec: .yubikey(YubiKeyRecipientSpec(serial: card.serial, slot: PIVSlot(parsing: slot), algorithm: .x25519))))
        }
        guard case .created(_, let setup) = try initialise("mechanic", slot: "85") else { return XCTFail("mechanic was not created") }
        let recipient = setup.pubkey
        // The same 32 bytes as ykman's SubjectPublicKeyInfo (its last 32 bytes).
        let der = try XCTUnwrap(Data(base64Encoded: gen.out.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()))
        let slot85 = try CardListing.plugged().first { $0.serial == card.serial }?.slots.first { $0.slot == "85" }
        XCTAssertEqual(slot85?.recipient, recipient)
        XCTAssertEqual(der.count, 44)
        XCTAssertEqual(Self.bech32Data(recipient), Array(der.suffix(32)), "age1… is ykman's public key")
        let mechanic = try OwnerName("mechanic")
        try bench.set(mechanic, "acme.prod.TOKEN", value: "v")
        XCTAssertEqual(try bench.store.load(owner: mechanic, identities: try bench.identities(mechanic)).keys.values.map { "\($0.slug)" }, ["acme.prod.TOKEN"])

        // A P-256 slot named with --algorithm x25519 is refused, saying what the slot holds.
        XCTAssertEqual(try Run.process("ykman", ["--reader", card.reader, "piv", "keys", "generate", "-m", m, "-a", "ECCP256", "86", "-"]).status, 0)
        XCTAssertThrowsError(try initialise("robot2", slot: "86")) { error in
            let exit5 = (error as? KeyrackError).map { $0.kind == .card } ?? (error is PIVError)
            XCTAssertTrue(exit5, "exit 5: \(error)")
            XCTAssertTrue("\(error)".contains("slot 86 holds a key of algorithm 0x11"), "\(error)")
        }
    }

    /// The data part of a Bech32 string, 5-bit groups regrouped into bytes (checksum dropped):
    /// independent of keyrack's own Bech32.
    static func bech32Data(_ text: String) -> [UInt8] {
        let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l")
        let data = text[text.index(after: text.lastIndex(of: "1")!)...].dropLast(6)
        var acc = 0, bits = 0, out = [UInt8]()
        for c in data {
            acc = acc << 5 | charset.firstIndex(of: c)!
            bits += 5
            if bits >= 8 { bits -= 8; out.append(UInt8((acc >> bits) & 0xFF)) }
        }
        return out
    }
}
