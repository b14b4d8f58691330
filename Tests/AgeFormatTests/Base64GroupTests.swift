import XCTest
@testable import AgeFormat

/// AgeBase64.decodeUnpadded reads four characters at a time: every length and every position of
/// a bad character is checked against the encoder and against the rules (canonical low bits,
/// the alphabet only).
final class Base64GroupTests: XCTestCase {
    func testEveryLengthRoundTrips() {
        var g = SystemRandomNumberGenerator()
        for n in 0...100 {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
            let text = AgeBase64.encodeUnpadded(bytes)
            XCTAssertEqual(AgeBase64.decodeUnpadded(text), bytes, "\(n) bytes")
            XCTAssertEqual(AgeBase64.decodePadded(AgeBase64.encode(bytes, padded: true)[...]), bytes, "\(n) bytes padded")
        }
    }

    func testABadCharacterAnywhereIsRefused() {
        let good = Array(AgeBase64.encodeUnpadded(Array(0..<32 as Range<UInt8>)).utf8)  // 43 characters: 10 groups and 3
        for i in good.indices {
            for bad in ["=", "\n", " ", "-", "_", "\u{0}", "\u{80}"].map({ Array($0.utf8)[0] }) {
                var text = good
                text[i] = bad
                XCTAssertNil(AgeBase64.decodeUnpadded(text[...]), "byte \(bad) at \(i)")
            }
        }
    }

    func testStrayLowBitsInTheTailAreRefused() {
        // Two characters carry one byte and 4 spare bits; three carry two bytes and 2 spare bits.
        XCTAssertEqual(AgeBase64.decodeUnpadded("QQ"), [0x41])
        for c in "RSTUVWXYZabcdef".map(String.init) { XCTAssertNil(AgeBase64.decodeUnpadded("Q" + c), "Q\(c)") }
        XCTAssertEqual(AgeBase64.decodeUnpadded("QUE"), [0x41, 0x41])
        for c in ["F", "G", "H"] { XCTAssertNil(AgeBase64.decodeUnpadded("QU" + c), "QU\(c)") }
        XCTAssertEqual(AgeBase64.decodeUnpadded("AAAAQUE"), [0, 0, 0, 0x41, 0x41])
        XCTAssertNil(AgeBase64.decodeUnpadded("AAAAQUF"))
    }
}
