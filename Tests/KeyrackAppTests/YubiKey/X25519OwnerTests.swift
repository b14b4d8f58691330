import Foundation
@testable import KeyrackApp
import KeyrackClient
import KeyrackCore
import PIV
import TestSupport
import XCTest
import KeyrackNames

/// An owner on a firmware 5.7 card's X25519 slot, in-process on the simulated card: a key made
/// by ykman (the venv's, the oracle) is taken as it is; a P-256 slot is refused for x25519.
final class X25519OwnerTests: XCTestCase {
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
            let exit5 = (error as? KeyrackError).map { $0.kind == .card } ?? ((error as? CLIReportable)?.exitCode == 5)
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
