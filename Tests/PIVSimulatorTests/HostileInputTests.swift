import XCTest
@testable import PIVSimulator

/// Malformed and random APDUs must end in a status word, never a trap (a fuzz target will drive
/// `process(apdu:)` the same way).
final class HostileInputTests: XCTestCase {
    func testMalformedTLVsGiveErrorStatusWords() {
        let card = CardHarness()
        card.selectPIV()
        card.authenticate()
        let cases: [[UInt8]] = [
            [0x00, 0x87, 0x11, 0x9D, 0x02, 0x7C, 0x05],                         // 7C longer than data
            [0x00, 0x87, 0x11, 0x9D, 0x03, 0x7C, 0x84, 0x01],                   // 4-byte length
            [0x00, 0x87, 0x03, 0x9B, 0x04, 0x7C, 0x02, 0x80, 0x05],             // inner truncated
            [0x00, 0x87, 0x03, 0x9B, 0x02, 0x7C, 0x00],                         // empty template
            [0x00, 0x87, 0x03, 0x9B, 0x04, 0x7C, 0x02, 0x82, 0x00],             // response with nothing pending
            [0x00, 0x87, 0x03, 0x9B, 0x06, 0x7C, 0x04, 0x80, 0x02, 0x01, 0x02], // witness with no challenge
            [0x00, 0x47, 0x00, 0x9D, 0x03, 0xAC, 0x81, 0xFF],
            [0x00, 0x47, 0x00, 0x9D, 0x02, 0xAC, 0x00],
            [0x00, 0xFE, 0x11, 0x9D, 0x02, 0x06, 0x40],
            [0x00, 0xDB, 0x3F, 0xFF, 0x03, 0x5C, 0x82, 0xFF],
            [0x00, 0xDB, 0x3F, 0xFF, 0x05, 0x5C, 0x03, 0x5F, 0xC1, 0x02],       // no 53
            [0x00, 0xCB, 0x3F, 0xFF, 0x01, 0x5F],
            [0x00, 0xCB, 0x3F, 0xFF, 0x03, 0x5F, 0xFF, 0xFF],                   // multi-byte tag runs off the end
            [0x00, 0xFF, 0xFF, 0xFF, 0x02, 0x03, 0x9B],
            [0x00, 0x24, 0x00, 0x80, 0x01, 0x00],
            [0x00, 0x2C, 0x00, 0x80, 0x01, 0x00],
            [0x00, 0xF9, 0x00, 0x00, 0x00],
            [0x00, 0xC0, 0x01, 0x02, 0x00],
        ]
        for apdu in cases {
            let r = card.send(apdu)
            XCTAssertNotEqual(r.sw, 0x9000, apdu.hexString)
            XCTAssertNotEqual(r.sw >> 8, 0x61, apdu.hexString)
        }
    }

    func testRandomAPDUsNeverTrap() {
        var rng = SplitMix64(seed: 0x6B65_7972_6163_6B21)
        let card = CardHarness()
        card.touch = .auto
        let interesting: [UInt8] = [0x20, 0x24, 0x2C, 0x47, 0x87, 0xA4, 0xC0, 0xCB, 0xDB, 0xF7, 0xF8, 0xF9, 0xFA, 0xFB, 0xFD, 0xFE, 0xFF]
        for i in 0..<20_000 {
            if i % 500 == 0 { card.selectPIV(); card.authenticate(); card.verify("123456") }
            let length = Int(rng.next() % 300)
            var apdu = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if apdu.count >= 4, rng.next() % 4 != 0 {
                apdu[0] = rng.next() % 2 == 0 ? 0x00 : 0x10
                apdu[1] = interesting[Int(rng.next() % UInt64(interesting.count))]
                if apdu.count > 5, rng.next() % 2 == 0 { apdu[4] = UInt8(min(255, apdu.count - 5)) }
                if apdu.count > 7, rng.next() % 3 == 0 { apdu[5] = [0x7C, 0xAC, 0x5C, 0x06][Int(rng.next() % 4)] }
            }
            if apdu.count >= 4, apdu[1] == 0xFB { continue }  // a reset would only make the run less interesting
            let r = card.applet.process(apdu: apdu)
            XCTAssertGreaterThanOrEqual(r.count, 2)
            XCTAssertLessThanOrEqual(r.count, 258, "never more than 256 data bytes in one reply")
        }
    }

    func testBERTLVParser() throws {
        XCTAssertEqual(try BERTLV.parse([0x5C, 0x03, 0x5F, 0xC1, 0x05]), [TLV(0x5C, [0x5F, 0xC1, 0x05])])
        XCTAssertEqual(try BERTLV.parse([0x7F, 0x49, 0x01, 0xAA]), [TLV(0x7F49, [0xAA])])
        XCTAssertEqual(try BERTLV.parse([0x53, 0x82, 0x01, 0x00] + [UInt8](repeating: 0, count: 256)).first?.value.count, 256)
        XCTAssertThrowsError(try BERTLV.parse([0x53]))
        XCTAssertThrowsError(try BERTLV.parse([0x53, 0x81]))
        XCTAssertThrowsError(try BERTLV.parse([0x53, 0x80]))
        XCTAssertThrowsError(try BERTLV.parse([0x53, 0x85, 1, 1, 1, 1, 1]))
        XCTAssertThrowsError(try BERTLV.parse([0x7F]))
        XCTAssertThrowsError(try BERTLV.parse([0x7F, 0xFF, 0xFF, 0xFF, 0x01, 0x00]))
        XCTAssertEqual(TLV.encodeLength(0x7F), [0x7F])
        XCTAssertEqual(TLV.encodeLength(0x80), [0x81, 0x80])
        XCTAssertEqual(TLV.encodeLength(0x100), [0x82, 0x01, 0x00])
    }
}

/// Deterministic PRNG so a failing random case can be replayed.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
