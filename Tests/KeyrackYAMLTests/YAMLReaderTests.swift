import XCTest
@testable import KeyrackYAML

/// The event cursor a streaming decoder reads a large file with: scalars in place, keys through
/// `nextKey()`, and the same refusals the tree parser makes, met where the damage is.
final class YAMLReaderTests: XCTestCase {
    /// Reads `text`'s top-level mapping, describing each value as the reader sees it.
    private func scan(_ text: String) throws -> [String] {
        try YAMLReader.read(Array(text.utf8)) { reader in
            var seen: [String] = []
            XCTAssertEqual(reader.kind, .mappingStart)
            try reader.enterMapping()
            while try reader.nextKey() {
                let key = String(decoding: reader.key, as: UTF8.self)
                if reader.kind == .scalar {
                    let tag = reader.scalarTag == .binary ? "binary" : reader.scalarTag == .str ? "str" : "none"
                    seen.append("\(key)@\(reader.keyLine)=\(String(decoding: reader.scalarBytes, as: UTF8.self)) plain:\(reader.scalarIsPlain) null:\(reader.scalarIsNull) tag:\(tag)")
                    try reader.advance()
                } else {
                    seen.append("\(key)@\(reader.keyLine)=\(try YAMLParser.node(&reader).line)")
                }
            }
            return seen
        }
    }

    func testScalarsAreReadInPlaceWithTheirStyleTagAndNullness() throws {
        XCTAssertEqual(try scan("a: x\nb: ~\nc: \"null\"\nd: !!binary aGk=\ne: !!str y\nf: [1]\n"), [
            "a@1=x plain:true null:false tag:none", "b@2=~ plain:true null:true tag:none", "c@3=null plain:false null:false tag:none",
            "d@4=aGk= plain:true null:false tag:binary", "e@5=y plain:true null:false tag:str", "f@6=6",
        ])
    }

    /// Duplicates are the caller's to find (a decoder of known fields keeps a bit per field);
    /// everything else is refused by the reader itself, on the line of the damage.
    func testTheReaderRefusesWhatTheParserRefuses() {
        func refusal(_ text: String) -> String {
            do { _ = try scan(text); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertEqual(refusal("a: 1\nb: *x\n"), "line 2: YAML aliases (*name) are not allowed in keyrack files: write the value out in full where it is used")
        XCTAssertEqual(refusal("a: 1\nb: &x 2\n"), "line 2: YAML anchors (&name) are not allowed in keyrack files: write the value out in full where it is used")
        XCTAssertEqual(refusal("a: !!python/object x\n"), "line 1: unsupported YAML tag 'tag:yaml.org,2002:python/object': remove the tag: keyrack files hold plain strings, lists and mappings")
        XCTAssertEqual(refusal("!!binary aGk=: 1\n"), "line 1: mapping keys must be plain strings: write the key as a plain string")
        XCTAssertEqual(refusal("a: 1\n---\nb: 2\n"), "line 2: the file holds more than one YAML document (keyrack files hold exactly one): keep one document, without a `---` line after it")
        XCTAssertTrue(refusal("a: 1\nb: [unclosed\n").hasPrefix("line 3: not valid YAML"), refusal("a: 1\nb: [unclosed\n"))
        XCTAssertTrue(refusal("a: " + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "\n").contains("nesting deeper than 32 levels"))
        XCTAssertEqual(refusal("a: 1\na: 2\n"), "accepted")
    }

    /// An empty input, or one of comments only, is one null scalar on line 1, as the parser says.
    func testAnEmptyDocumentIsOneNullScalar() throws {
        for text in ["", "# only a comment\n"] {
            let (kind, null, line) = try YAMLReader.read(Array(text.utf8)) { reader in
                defer { try? reader.advance() }
                return (reader.kind, reader.scalarIsNull, reader.line)
            }
            XCTAssertEqual(kind, .scalar)
            XCTAssertTrue(null)
            XCTAssertEqual(line, 1)
        }
    }
}
