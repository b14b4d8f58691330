import KeyrackNames
import XCTest

/// The one duration grammar: what users type (`30m`, `1h30m`, `1d`) and what is refused.
final class DurationGrammarTests: XCTestCase {
    func testUnitsAndCompoundsAsUsersTypeThem() {
        XCTAssertEqual(DurationGrammar.seconds("90s"), 90)
        XCTAssertEqual(DurationGrammar.seconds("30m"), 1800)
        XCTAssertEqual(DurationGrammar.seconds("9h"), 32_400)
        XCTAssertEqual(DurationGrammar.seconds("1d"), 86_400)
        XCTAssertEqual(DurationGrammar.seconds("1h30m"), 5400)
        XCTAssertEqual(DurationGrammar.seconds("2d12h"), 216_000)
        XCTAssertEqual(DurationGrammar.seconds("1d2h3m4s"), 86_400 + 7200 + 180 + 4)
        XCTAssertEqual(DurationGrammar.seconds("1h0m"), 3600, "a lone 0 in a part is fine")
        XCTAssertEqual(DurationGrammar.seconds("0"), 0)
        XCTAssertEqual(DurationGrammar.seconds("0s"), 0)
    }

    func testRefusesWhatIsNotOfTheGrammar() {
        for bad in ["", "30", "m", "30x", "1m1h", "1h1h", "1h 30m", "-5m", "+5m", "09h", "1.5h", "1H",
                    "30mm", "h30", "1d1d", "99999999999h", String(repeating: "1", count: 30) + "s"] {
            XCTAssertNil(DurationGrammar.seconds(bad), "'\(bad)' must be refused")
        }
    }
}
