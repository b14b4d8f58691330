import XCTest
import KeyrackNames

/// Slug.split cuts at the first two dots by bytes, as String's split(maxSplits: 2,
/// omittingEmptySubsequences: false) did by Characters, for every text a slug can be.
final class SlugSplitTests: XCTestCase {
    func testCutsAsStringSplitDid() {
        for text in ["acme.prod.KEY", "a.b.c.d", "acme.all.KEY.WITH.DOTS", "a..c", "..", "...", ".a.b", "a.b.", "a.b", "a", "", "é.ü.KEY", "a.b.\u{1F600}"] {
            let old = text.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
            let new = Slug.split(text)
            if old.count == 3 {
                XCTAssertEqual(new.map { [$0.org, $0.env, $0.key] }, Array(old), text)
            } else {
                XCTAssertNil(new, text)
            }
        }
    }

    func testParsingKeepsTheRules() {
        XCTAssertEqual(Slug(parsing: "acme.prod.API.KEY")?.key, "API.KEY")
        XCTAssertNil(Slug(parsing: "acme.prod"))
        XCTAssertNil(Slug(parsing: "acme..KEY"))
        XCTAssertNil(Slug(parsing: "Acme.prod.KEY"))
        XCTAssertNil(Slug(parsing: "acme.prod.KEY."))
    }
}
