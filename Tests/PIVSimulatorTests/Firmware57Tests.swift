import Crypto
import XCTest
@testable import PIVSimulator

/// What firmware 5.7 adds: Ed25519 and X25519 slot keys, MOVE/DELETE KEY — and that a 5.4 card
/// refuses them as a real one does.
final class Firmware57Tests: XCTestCase {
    func card57() -> CardHarness {
        let card = CardHarness(state: .factory(serial: 5_700_001, version: [5, 7, 1]))
        card.selectPIV()
        XCTAssertEqual(card.authenticate(algorithm: PIVAlgorithm.aes192), 0x9000)
        return card
    }

    func testX25519GenerateMetadataAndECDH() throws {
        let card = card57()
        let r = card.command(0x47, 0x00, 0x9D, [0xAC, 0x06, 0x80, 0x01, 0xE1, 0xAA, 0x01, 0x02])
        XCTAssertEqual(r.sw, 0x9000)
        XCTAssertEqual(Array(r.data.prefix(5)), [0x7F, 0x49, 0x22, 0x86, 0x20])
        let cardKey = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: Array(r.data[5...]))
        XCTAssertEqual(card.command(0xF7, 0x00, 0x9D).data,
                       [0x01, 0x01, 0xE1, 0x02, 0x02, 0x02, 0x01, 0x03, 0x01, 0x01, 0x04, 0x22, 0x86, 0x20] + Array(r.data[5...]))

        let host = Curve25519.KeyAgreement.PrivateKey()
        let peer = [UInt8](host.publicKey.rawRepresentation)
        XCTAssertEqual(card.ecdh(slot: 0x9D, peer: peer, algorithm: PIVAlgorithm.x25519).sw, 0x6982, "PIN policy once")
        XCTAssertEqual(card.verify("123456"), 0x9000)
        let shared = card.ecdh(slot: 0x9D, peer: peer, algorithm: PIVAlgorithm.x25519)
        XCTAssertEqual(shared.sw, 0x9000)
        let expected = try host.sharedSecretFromKeyAgreement(with: cardKey).withUnsafeBytes { [UInt8]($0) }
        XCTAssertEqual(shared.data, expected)
        XCTAssertEqual(card.ecdh(slot: 0x9D, peer: peer + [0], algorithm: PIVAlgorithm.x25519).sw, 0x6A80, "33 bytes")
        XCTAssertEqual(card.ecdh(slot: 0x9D, peer: [UInt8](repeating: 0, count: 32), algorithm: PIVAlgorithm.x25519).sw,
                       0x6A80, "a low-order point gives no secret")
        XCTAssertEqual(card.ecdh(slot: 0x9D, peer: peer, algorithm: PIVAlgorithm.eccP256).sw, 0x6A80, "wrong algorithm")
        XCTAssertEqual(card.sign(slot: 0x9D, digest: [UInt8](repeating: 1, count: 32)).sw, 0x6A80, "X25519 cannot sign")
    }

    func testEd25519ImportAndSignTheWholeMessage() throws {
        let card = card57()
        let key = Curve25519.Signing.PrivateKey()
        let seed = [UInt8](key.rawRepresentation)
        XCTAssertEqual(card.command(0xFE, 0xE0, 0x9A, [0x07, 0x20] + seed + [0xAA, 0x01, 0x01]).sw, 0x9000)
        XCTAssertEqual(card.command(0xFE, 0xE0, 0x9A, [0x06, 0x20] + seed).sw, 0x6A80, "Ed25519 travels in tag 07")
        let meta = card.command(0xF7, 0x00, 0x9A).data
        XCTAssertEqual(Array(meta.prefix(11)), [0x01, 0x01, 0xE0, 0x02, 0x02, 0x01, 0x01, 0x03, 0x01, 0x02, 0x04])
        XCTAssertEqual(Array(meta.suffix(32)), [UInt8](key.publicKey.rawRepresentation))

        let message = [UInt8]((0..<300).map { UInt8($0 & 0xFF) })  // longer than a digest: chained
        let inner: [UInt8] = [0x82, 0x00, 0x81, 0x82, 0x01, 0x2C] + message
        let r = card.transfer(0x87, 0xE0, 0x9A, [0x7C, 0x82, UInt8(inner.count >> 8), UInt8(inner.count & 0xFF)] + inner)
        XCTAssertEqual(r.sw, 0x9000)
        XCTAssertEqual(Array(r.data.prefix(4)), [0x7C, 0x42, 0x82, 0x40])
        XCTAssertTrue(key.publicKey.isValidSignature(Array(r.data[4...]), for: message))
        XCTAssertEqual(card.ecdh(slot: 0x9A, peer: [UInt8](repeating: 9, count: 32), algorithm: PIVAlgorithm.ed25519).sw,
                       0x6A80, "Ed25519 cannot agree")
    }

    func testX25519ImportInTag08() throws {
        let card = card57()
        let key = Curve25519.KeyAgreement.PrivateKey()
        XCTAssertEqual(card.command(0xFE, 0xE1, 0x85, [0x08, 0x20] + [UInt8](key.rawRepresentation)).sw, 0x9000)
        XCTAssertEqual(Array(card.command(0xF7, 0x00, 0x85).data.suffix(32)), [UInt8](key.publicKey.rawRepresentation))
    }

    func testMoveAndDeleteKey() {
        let card = card57()
        let point = card.generate(slot: 0x9A)
        XCTAssertEqual(card.command(0xF6, 0x82, 0x9A).sw, 0x9000)
        XCTAssertEqual(card.command(0xF7, 0x00, 0x9A).sw, 0x6A88, "source is empty after the move")
        XCTAssertEqual(Array(card.command(0xF7, 0x00, 0x82).data.suffix(65)), point)
        XCTAssertEqual(card.command(0xF6, 0x83, 0x9A).sw, 0x6A88, "nothing to move")
        _ = card.generate(slot: 0x9D)
        XCTAssertEqual(card.command(0xF6, 0x82, 0x9D).sw, 0x6A80, "destination taken")
        XCTAssertEqual(card.command(0xF6, 0x9D, 0x9D).sw, 0x6A80, "onto itself")
        XCTAssertEqual(card.command(0xF6, 0xF9, 0x9D).sw, 0x6A86, "not into the attestation slot")
        XCTAssertEqual(card.command(0xF6, 0xFF, 0x82).sw, 0x9000, "delete")
        XCTAssertEqual(card.command(0xF7, 0x00, 0x82).sw, 0x6A88)
        XCTAssertEqual(card.command(0xF6, 0xFF, 0x82).sw, 0x6A88, "delete of nothing")

        let fresh = CardHarness(state: .factory(serial: 5_700_002, version: [5, 7, 1]))
        fresh.selectPIV()
        _ = fresh.command(0xF6, 0xFF, 0x9A)
        XCTAssertEqual(fresh.command(0xF6, 0xFF, 0x9A).sw, 0x6982, "needs the management key")
    }

    func testA54CardRefusesWhat57Brings() {
        let card = CardHarness()
        card.selectPIV()
        card.authenticate()
        XCTAssertEqual(card.command(0x47, 0x00, 0x9D, [0xAC, 0x03, 0x80, 0x01, 0xE1]).sw, 0x6A80)
        XCTAssertEqual(card.command(0x47, 0x00, 0x9D, [0xAC, 0x03, 0x80, 0x01, 0xE0]).sw, 0x6A80)
        XCTAssertEqual(card.command(0xFE, 0xE1, 0x9D, [0x08, 0x20] + [UInt8](repeating: 7, count: 32)).sw, 0x6A80)
        _ = card.generate(slot: 0x9A)
        XCTAssertEqual(card.command(0xF6, 0x82, 0x9A).sw, 0x6D00)
    }
}
