import XCTest
@testable import KeyrackYAML

/// A mapping's duplicate keys are found by scanning while it is small and through a set once it
/// is not (YAMLParser.smallMapping): both sides of the switch, and the switch
/// itself, refuse a duplicate with its line; YAMLFields still reports an unread field.
final class YAMLMappingSizeTests: XCTestCase {
    private func mapping(_ count: Int, then extra: String = "") -> [UInt8] {
        Array(((0..<count).map { "k\($0): \($0)\n" }.joined() + extra).utf8)
    }

    private func refusal(_ bytes: [UInt8]) -> YAMLError? {
        do { _ = try YAMLParser.parse(bytes); return nil } catch let e as YAMLError { return e } catch { return nil }
    }

    func testDuplicateRefusedOnEitherSideOfTheSmallMappingLimit() throws {
        let limit = 16
        XCTAssertEqual(YAMLParser.smallMapping, limit)
        for count in [1, limit - 1, limit, limit + 1, 200] {
            // A copy of the first key, written last: found by the scan or by the set.
            let e = refusal(mapping(count, then: "k0: again\n"))
            XCTAssertEqual(e?.line, count + 1, "\(count) pairs")
            XCTAssertEqual(e?.problem, "duplicate key 'k0'", "\(count) pairs")
            XCTAssertEqual(e?.fix, "keep one of them", "\(count) pairs")
            // A copy of the last key, right after it.
            let f = refusal(mapping(count, then: "k\(count - 1): again\n"))
            XCTAssertEqual(f?.problem, "duplicate key 'k\(count - 1)'", "\(count) pairs")
            guard case .mapping(let pairs, _) = try YAMLParser.parse(mapping(count)) else { return XCTFail("not a mapping") }
            XCTAssertEqual(pairs.map(\.key), (0..<count).map { "k\($0)" })
        }
    }

    func testFieldsReportTheFirstUnreadFieldByPosition() throws {
        var f = try YAMLFields(try YAMLParser.parse(mapping(20)), path: "m")
        for i in 0..<20 where i != 7 && i != 12 { XCTAssertNotNil(f.node("k\(i)")) }
        XCTAssertNil(f.node("absent"))
        XCTAssertThrowsError(try f.finish()) { e in
            XCTAssertEqual((e as? YAMLError)?.message, "unknown field 'k7' in m")
            XCTAssertEqual((e as? YAMLError)?.line, 8)
        }
        _ = f.node("k7")
        XCTAssertThrowsError(try f.finish()) { e in XCTAssertEqual((e as? YAMLError)?.message, "unknown field 'k12' in m") }
        _ = f.node("k12")
        XCTAssertNoThrow(try f.finish())
    }
}
