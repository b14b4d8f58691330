import Crypto
import _CryptoExtras
import XCTest
@testable import PIVSimulator

/// Management-key authentication (TDES and AES-192, mutual and external) and SET MANAGEMENT KEY.
final class ManagementKeyTests: XCTestCase {
    func testTDESMatchesOpenSSLVectors() {
        // openssl enc -des-ede3 -nopad, default key (degenerates to single DES 0102…08).
        let def = TripleDES(key: CardState.defaultTDESKey)!
        XCTAssertEqual(def.encrypt([0, 0, 0, 0, 0, 0, 0, 0]), [0xB0, 0x73, 0xDC, 0x3F, 0xB2, 0x09, 0x53, 0x6D])
        XCTAssertEqual(def.encrypt([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]), [0x6C, 0x5E, 0x94, 0xDC, 0xAD, 0xD3, 0x9F, 0x1D])
        XCTAssertEqual(def.decrypt([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]), [0x4D, 0x7D, 0xF0, 0xF3, 0x15, 0x09, 0x88, 0xDF])
        // Three distinct keys: K = 0123456789abcdef fedcba9876543210 89abcdef01234567.
        let k = [UInt8](hex: "0123456789abcdeffedcba987654321089abcdef01234567")!
        let t = TripleDES(key: k)!
        XCTAssertEqual(t.encrypt([0, 0, 0, 0, 0, 0, 0, 0]).hexString, "3fd539e3abeb8b5b")
        XCTAssertEqual(t.decrypt([0, 0, 0, 0, 0, 0, 0, 0]).hexString, "09bda9773568f0b2")
        XCTAssertEqual(t.encrypt([UInt8](hex: "1122334455667788")!).hexString, "971edb3894b28663")
        XCTAssertEqual(t.decrypt([UInt8](hex: "1122334455667788")!).hexString, "eda424154ce46983")
        XCTAssertNil(TripleDES(key: [1, 2, 3]))
    }

    func testAES192BlockMatchesFIPS197() throws {
        let key = ManagementKey(algorithm: PIVAlgorithm.aes192, key: "000102030405060708090a0b0c0d0e0f1011121314151617", touch: 1)
        let c = try ManagementCipher.encrypt([UInt8](hex: "00112233445566778899aabbccddeeff")!, key: key)
        XCTAssertEqual(c.hexString, "dda97ca4864cdfe06eaf70a0ec0d7191")
        XCTAssertEqual(try ManagementCipher.decrypt(c, key: key).hexString, "00112233445566778899aabbccddeeff")
    }

    func testMutualAuthenticationWithDefaultTDESKey() {
        let card = CardHarness()
        card.selectPIV()
        XCTAssertEqual(card.command(0x47, 0x00, 0x9D, [0xAC, 0x03, 0x80, 0x01, 0x11]).sw, 0x6982, "generate needs the key")
        XCTAssertEqual(card.authenticate(), 0x9000)
        XCTAssertEqual(card.command(0x47, 0x00, 0x9D, [0xAC, 0x03, 0x80, 0x01, 0x11]).sw, 0x9000)
    }

    func testWrongKeyIsRefused() {
        let card = CardHarness()
        card.selectPIV()
        XCTAssertEqual(card.authenticate(key: [UInt8](repeating: 0x42, count: 24)), 0x6982)
        XCTAssertEqual(card.command(0x47, 0x00, 0x9D, [0xAC, 0x03, 0x80, 0x01, 0x11]).sw, 0x6982)
    }

    func testWitnessIsSingleUseAndCancelledByOtherCommands() {
        let card = CardHarness()
        card.selectPIV()
        let mk = card.applet.state.managementKey
        let w = card.command(0x87, 0x03, 0x9B, [0x7C, 0x02, 0x80, 0x00])
        XCTAssertEqual(w.data.count, 12)
        let plain = try! ManagementCipher.decrypt(Array(w.data[4...]), key: mk)
        _ = card.send([0x00, 0xFD, 0x00, 0x00, 0x00])  // anything in between cancels
        let body: [UInt8] = [0x80, 0x08] + plain + [0x81, 0x08] + [UInt8](repeating: 1, count: 8)
        XCTAssertEqual(card.command(0x87, 0x03, 0x9B, [0x7C, 0x14] + body).sw, 0x6985)
    }

    func testExternalAuthentication() throws {
        let card = CardHarness()
        card.selectPIV()
        let mk = card.applet.state.managementKey
        let ch = card.command(0x87, 0x03, 0x9B, [0x7C, 0x02, 0x81, 0x00])
        XCTAssertEqual(ch.sw, 0x9000)
        XCTAssertEqual(Array(ch.data.prefix(4)), [0x7C, 0x0A, 0x81, 0x08])
        let response = try ManagementCipher.encrypt(Array(ch.data[4...]), key: mk)
        XCTAssertEqual(card.command(0x87, 0x03, 0x9B, [0x7C, 0x0A, 0x82, 0x08] + response).sw, 0x9000)
        XCTAssertEqual(card.command(0x47, 0x00, 0x9D, [0xAC, 0x03, 0x80, 0x01, 0x11]).sw, 0x9000)
    }

    func testAES192DefaultCardAsFirmware57() {
        let card = CardHarness(state: .factory(serial: 1, version: [5, 7, 1], managementKeyAlgorithm: PIVAlgorithm.aes192))
        card.selectPIV()
        XCTAssertEqual(card.command(0x87, 0x03, 0x9B, [0x7C, 0x02, 0x80, 0x00]).sw, 0x6A80, "libykpiv 2.2.0's TDES P1 is refused")
        XCTAssertEqual(card.authenticate(algorithm: PIVAlgorithm.aes192), 0x9000)
        XCTAssertEqual(card.command(0xF7, 0x00, 0x9B).data.prefix(3), [0x01, 0x01, 0x0A])
    }

    func testSetManagementKeyThenOnlyTheNewKeyWorks() {
        let card = CardHarness()
        card.selectPIV()
        let newKey = (0..<24).map { UInt8($0 + 0x20) }
        XCTAssertEqual(card.command(0xFF, 0xFF, 0xFF, [0x03, 0x9B, 0x18] + newKey).sw, 0x6982)
        card.authenticate()
        XCTAssertEqual(card.command(0xFF, 0xFF, 0xFF, [0x03, 0x9B, 0x10] + newKey).sw, 0x6A80, "length mismatch")
        XCTAssertEqual(card.command(0xFF, 0xFF, 0xFF, [0x03, 0x9B, 0x18] + newKey).sw, 0x9000)
        card.applet.reset(); card.selectPIV()
        XCTAssertEqual(card.authenticate(), 0x6982)
        XCTAssertEqual(card.authenticate(key: newKey), 0x9000)
        XCTAssertEqual(card.command(0xF7, 0x00, 0x9B).data, [0x01, 0x01, 0x03, 0x02, 0x02, 0x00, 0x01, 0x05, 0x01, 0x00])
    }

    func testSwitchToAESKeyAndTouchRequiredManagementKey() {
        let card = CardHarness()
        card.selectPIV()
        card.authenticate()
        let aes = (0..<24).map { UInt8($0) }
        XCTAssertEqual(card.command(0xFF, 0xFF, 0xFE, [0x0A, 0x9B, 0x18] + aes).sw, 0x9000)
        card.applet.reset(); card.selectPIV()
        card.touch = .deny
        XCTAssertEqual(card.authenticate(key: aes, algorithm: PIVAlgorithm.aes192), 0x6982)
        card.touch = .auto
        XCTAssertEqual(card.authenticate(key: aes, algorithm: PIVAlgorithm.aes192), 0x9000)
        XCTAssertEqual(card.applet.state.touchCount, 1)
    }
}
