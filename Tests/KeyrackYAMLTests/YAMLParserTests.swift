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

    /// Each refusal the reader can remedy in terms of the file carries its fix apart from the
    /// problem; the one line says both, problem first.
    func testRefusalsCarryTheirFixApartFromTheProblem() {
        let alias = refusal("a: [1]\nb: *x\n")
        XCTAssertEqual(alias?.problem, "YAML aliases (*name) are not allowed in keyrack files")
        XCTAssertEqual(alias?.fix, "write the value out in full where it is used")
        XCTAssertEqual(alias?.description, "line 2: YAML aliases (*name) are not allowed in keyrack files: write the value out in full where it is used")
        XCTAssertEqual(refusal("a: &x 1\n")?.fix, "write the value out in full where it is used")
        XCTAssertEqual(refusal("a: 1\nb: 2\na: 3\n")?.fix, "keep one of them")
        XCTAssertEqual(refusal("a: !!python/object x\n")?.fix, "remove the tag: keyrack files hold plain strings, lists and mappings")
        XCTAssertEqual(refusal("a: 1\n---\nb: 2\n")?.fix, "keep one document, without a `---` line after it")
        XCTAssertEqual(refusal("? [a]\n: 1\n")?.fix, "write the key as a plain string")
        // Broken syntax: libyaml's words are the problem; the caller knows the file, and so the fix.
        let broken = refusal("a: 1\nb: [unclosed\nc: 2\n")
        XCTAssertNil(broken?.fix)
        XCTAssertEqual(broken?.message, broken?.problem)

        let newer = YAMLError.newerVersion("recipients file", version: 3, reads: 1)
        XCTAssertEqual(newer.description, "line 1: recipients file version 3 was written by a newer keyrack (this one reads version 1): upgrade keyrack")
        XCTAssertEqual(newer.fix, "upgrade keyrack")
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

    func testCommentOnlyDocumentIsNullOnLineOne() throws {
        guard case .scalar(let s, let line) = try YAMLParser.parse(Array("# nothing here\n".utf8)) else { return XCTFail() }
        XCTAssertTrue(s.isNull)
        XCTAssertEqual(line, 1)
    }

    /// The parser and the emitter keep libyaml's state at one heap address for the whole
    /// document (issue 26: a pointer to a local was kept past the call that made it). A document
    /// of thousands of events, every kind of scalar among them, goes through both and back.
    func testALargeDocumentRoundTripsThroughEmitterAndParser() throws {
        let tricky = ["plain", "null", "", "with: colon", "line\nbreak", "#hash", " lead", "\u{0}nul", "ünï", "'q'\"dq\""]
        let pairs = (0..<5000).map { i in
            ("org.test.KEY_\(100_000 + i)", YAMLNode.map([
                ("value", .string(tricky[i % tricky.count] + String(i))), ("n", .int(i)), ("flag", .bool(i % 2 == 0)),
                ("list", .list([.string("a"), .null])),
            ]))
        }
        let document = YAMLNode.map(pairs)
        let bytes = try YAMLEmitter.emit(document)
        let parsed = try YAMLParser.parse(bytes)
        guard case .mapping(let back, _) = parsed else { return XCTFail("\(parsed)") }
        XCTAssertEqual(back.count, 5000)
        for (i, pair) in back.enumerated() where i % 499 == 0 {
            XCTAssertEqual(pair.key, pairs[i].0)
            guard case .mapping(let fields, _) = pair.value, case .scalar(let value, _) = fields[0].value,
                  case .scalar(let n, _) = fields[1].value else { return XCTFail("\(pair)") }
            XCTAssertEqual(value.text, tricky[i % tricky.count] + String(i))
            XCTAssertEqual(n.text, String(i))
        }
        XCTAssertEqual(try YAMLEmitter.emit(parsed), bytes, "emit → parse → emit must be byte-identical")
    }
}
