import KeyrackApp
import KeyrackClient
import KeyrackNames
import XCTest

/// `fill`'s values: from the terminal when stdin is one, else one stdin line per key asked.
final class FillValuesTests: XCTestCase {
    private let a = Slug(parsing: "acme.test.A")!, b = Slug(parsing: "acme.test.B")!, c = Slug(parsing: "acme.test.C")!

    func testOnATerminalEachValueIsTyped() throws {
        var asked: [String] = []
        let values = FillValues(isTerminal: true, typed: { asked.append($0.description); return Array("typed-\($0.key)".utf8) },
                                readStdin: { XCTFail("stdin read"); return [] })
        XCTAssertEqual(try values.value(for: a), Array("typed-A".utf8))
        XCTAssertEqual(try values.value(for: b), Array("typed-B".utf8))
        XCTAssertEqual(asked, ["acme.test.A", "acme.test.B"])
    }

    func testOffATerminalStdinIsReadOnceAndGivesOneLinePerKey() throws {
        var reads = 0
        let values = FillValues(isTerminal: false, typed: { _ in XCTFail("typed"); return [] },
                                readStdin: { reads += 1; return Array("first\nsecond\n".utf8) })
        XCTAssertEqual(try values.value(for: a), Array("first".utf8))
        XCTAssertEqual(try values.value(for: b), Array("second".utf8))
        XCTAssertEqual(reads, 1)
        XCTAssertThrowsError(try values.value(for: c)) { error in
            XCTAssertEqual((error as? UsageError)?.message, "no value for acme.test.C on stdin (one line per missing key, in the file's order)")
        }
    }

    func testAnEmptyLineIsNoValue() {
        let values = FillValues(isTerminal: false, readStdin: { Array("\nx\n".utf8) })
        XCTAssertThrowsError(try values.value(for: a)) { XCTAssertTrue($0 is UsageError) }
    }
}
