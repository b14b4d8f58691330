import XCTest
@testable import KeyrackYAML

/// The parser refuses what keyrack never writes, with the line it found it on.
final class YAMLParserTests: XCTestCase {
    private func refusal(_ text: String) -> YAMLError? {
        do { _ = try YAMLParser.parse(Array(text.utf8)); return nil } catch let e as YAMLError { return e } catch { return nil }
    }

    func testParsesNestedDocument() throws {
        let node = try YAMLParser.parse(Array("a:\n  b: [1, \"2\"]\n  c: null\n".utf8))
        guard case .mapping(let pairs, _) = node, case .mapping(let inner, _) = pairs[0].value,
              case .sequence(let items, _) = inner[0].value, case .scalar(let two, _) = items[1],
              case .scalar(let c, _) = inner[1].value else { return XCTFail("\(node)") }
        XCTAssertEqual(two.text, "2")
        XCTAssertEqual(two.style, .quoted)
        XCTAssertTrue(c.isNull)
        XCTAssertFalse(YAMLScalar("null", style: .quoted).isNull)
    }

    func testRefusesDuplicateKeys() {
        let e = refusal("a: 1\nb: 2\na: 3\n")
        XCTAssertEqual(e?.line, 3)
        XCTAssertTrue(e?.message.contains("duplicate key 'a'") ?? false, "\(String(describing: e))")
    }

    func testRefusesAliasesAnchorsTagsAndMultipleDocuments() {
        XCTAssertTrue(refusal("a: &x 1\nb: *x\n")?.message.contains("anchors") ?? false)
        XCTAssertTrue(refusal("a: [1]\nb: *x\n")?.message.contains("aliases") ?? false)
        XCTAssertTrue(refusal("a: !!python/object x\n")?.message.contains("unsupported YAML tag") ?? false)
        XCTAssertTrue(refusal("a: 1\n---\nb: 2\n")?.message.contains("more than one YAML document") ?? false)
        XCTAssertTrue(refusal("? [a]\n: 1\n")?.message.contains("mapping keys must be plain strings") ?? false)
    }

    func testRefusesBrokenSyntaxWithLine() {
        let e = refusal("a: 1\nb: [unclosed\nc: 2\n")
        XCTAssertNotNil(e)
        XCTAssertTrue(e!.message.hasPrefix("not valid YAML"), e!.message)
        XCTAssertGreaterThan(e!.line, 1)
    }

    func testRefusesDeepNesting() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        XCTAssertTrue(refusal(deep)?.message.contains("nesting deeper") ?? false)
    }

    func testEmptyDocumentIsNull() throws {
        guard case .scalar(let s, _) = try YAMLParser.parse([]) else { return XCTFail() }
        XCTAssertTrue(s.isNull)
    }
}
