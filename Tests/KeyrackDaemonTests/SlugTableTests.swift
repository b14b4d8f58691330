@testable import KeyrackDaemon
import XCTest
import KeyrackNames

/// The grant store's table: values found by slug through their places, kept dense and in the
/// order they came, a removal moving the last value into the hole. Checked against a
/// dictionary through a long run of random inserts, updates and removals.
final class SlugTableTests: XCTestCase {
    func testTheTableAgreesWithADictionaryThroughRandomChanges() {
        var table = SlugTable<Int>()
        var model: [Slug: Int] = [:]
        var rng = SystemRandomNumberGenerator()
        let slugs = (0..<64).map { Slug(parsing: "acme.test.K\($0)")! }
        for step in 0..<5000 {
            let slug = slugs[Int.random(in: 0..<slugs.count, using: &rng)]
            switch Int.random(in: 0..<4, using: &rng) {
            case 0, 1: XCTAssertEqual(table.updateValue(step, forKey: slug), model.updateValue(step, forKey: slug))
            case 2: XCTAssertEqual(table.removeValue(forKey: slug), model.removeValue(forKey: slug))
            default:
                if let place = table.place(of: slug) { table[at: place] += 1; model[slug]! += 1 }
            }
            XCTAssertEqual(table.count, model.count)
        }
        for (place, slug) in table.slugs.enumerated() {
            XCTAssertEqual(table.place(of: slug), place)
            XCTAssertEqual(table.slug(at: place), slug)
            XCTAssertEqual(table[at: place], model[slug])
        }
        XCTAssertEqual(Set(table.slugs), Set(model.keys))
        for slug in slugs { XCTAssertEqual(table[slug], model[slug]); XCTAssertEqual(table.contains(slug), model[slug] != nil) }
    }

    /// New slugs go to the end, in the order they came (a re-unlock in the same order then
    /// finds each right after the one before); a removal moves only the last one.
    func testValuesKeepTheirOrderAndARemovalMovesTheLast() {
        var table = SlugTable<String>()
        let slugs = (0..<5).map { Slug(parsing: "acme.test.K\($0)")! }
        for s in slugs { table[s] = s.key }
        XCTAssertEqual(table.slugs, slugs)
        XCTAssertEqual(table.remove(at: 1).slug, slugs[1])
        XCTAssertEqual(table.slugs, [slugs[0], slugs[4], slugs[2], slugs[3]])
        XCTAssertEqual(table.values, ["K0", "K4", "K2", "K3"])
        XCTAssertEqual(table.place(of: slugs[4]), 1)
        XCTAssertNil(table.place(of: slugs[1]))
        table[slugs[3]] = nil
        XCTAssertEqual(table.slugs, [slugs[0], slugs[4], slugs[2]])
    }
}
