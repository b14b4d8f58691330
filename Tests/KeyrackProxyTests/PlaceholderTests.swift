import XCTest
@testable import KeyrackProxy

/// Placeholders (issue 27): the value's length and shape, its known prefix kept, random per run,
/// never the value, and never inside (or around) another value or placeholder.
final class PlaceholderTests: XCTestCase {
    private var rng = SystemRandomNumberGenerator()

    private func make(_ value: String, avoiding taken: [String] = []) -> String? {
        Placeholder.make(for: Array(value.utf8), avoiding: taken.map { Array($0.utf8) } + [Array(value.utf8)], using: &rng)
            .map { String(decoding: $0, as: UTF8.self) }
    }

    private func classOf(_ c: Character) -> String {
        c.isNumber ? "9" : c.isLowercase ? "a" : c.isUppercase ? "A" : String(c)
    }

    func testKnownPrefixesStayAndTheRestKeepsItsShape() throws {
        let values = ["ghs_16C7e42F292c6912E7710c838347Ae178B4a", "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
                      "ASIAY34FZKBOKMUTVV7A", "AKIAIOSFODNN7EXAMPLE", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
                      "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
                      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "plain-secret-value-42"]
        for value in values {
            let p = try XCTUnwrap(make(value), value)
            XCTAssertNotEqual(p, value)
            XCTAssertEqual(p.utf8.count, value.utf8.count, value)
            if let prefix = Placeholder.knownPrefixes.first(where: { value.hasPrefix($0) }) {
                XCTAssertTrue(p.hasPrefix(prefix), "\(value) → \(p)")
            }
            XCTAssertEqual(p.map(classOf), value.map(classOf), "\(value) → \(p): same alphabet class at every position")
        }
    }

    func testRandomPerRunAndNeverTheValue() throws {
        let value = "ghs_" + String(repeating: "a1B", count: 12)
        var seen = Set<String>()
        for _ in 0..<200 {
            let p = try XCTUnwrap(make(value))
            XCTAssertNotEqual(p, value)
            seen.insert(p)
        }
        XCTAssertEqual(seen.count, 200, "placeholders must not repeat")
    }

    func testNeverOverlapsAnotherValueOrPlaceholder() throws {
        // A value whose shape leaves one free position: the draws must avoid what is taken.
        let value = "ghs_-------------7"
        let taken = (0...8).map { "ghs_-------------\($0)" }.filter { $0 != value }
        let p = try XCTUnwrap(make(value, avoiding: taken))
        XCTAssertFalse(taken.contains { $0.contains(p) || p.contains($0) }, p)
        XCTAssertEqual(p.utf8.count, value.utf8.count)
    }

    func testValuesWithNothingToVaryGetAnAlphanumericPlaceholder() throws {
        for value in ["----", "ghs_", "é-é-é-é"] {
            let p = try XCTUnwrap(make(value), value)
            XCTAssertNotEqual(p, value)
            XCTAssertEqual(p.utf8.count, value.utf8.count, value)
            XCTAssertTrue(p.utf8.allSatisfy { $0 < 0x80 }, "ASCII only: an environment variable takes it whatever the locale")
        }
    }

    func testOneByteValueCannotHideWhenEveryStandInIsTaken() {
        let everything = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8).map { [$0] }
        XCTAssertNil(Placeholder.make(for: Array("5".utf8), avoiding: everything, using: &rng))
    }
}
