import XCTest
@testable import KeyrackCore
import KeyrackYAML

/// Every string and byte string must come back from emit → parse exactly, whatever it holds.
final class YAMLRoundTripTests: XCTestCase {
    private func roundTrip(_ value: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws {
        let doc = YAMLNode.map([("secret", HostManifest.secretNode(value))])
        let yaml = try YAMLEmitter.emit(doc)
        let parsed = try YAMLParser.parse(yaml)
        guard case .mapping(let pairs, _) = parsed, pairs.count == 1, case .scalar(let scalar, _) = pairs[0].value else {
            return XCTFail("unexpected tree for \(value): \(parsed)", file: file, line: line)
        }
        let back: [UInt8]
        if scalar.tag == YAMLParser.binaryTag {
            back = [UInt8](Data(base64Encoded: scalar.text, options: .ignoreUnknownCharacters)!)
        } else {
            back = scalar.bytes
            XCTAssertFalse(scalar.isNull, "a string must never read back as null", file: file, line: line)
        }
        XCTAssertEqual(back, value, "round trip changed \(value) via \(String(decoding: yaml, as: UTF8.self))", file: file, line: line)
    }

    func testHostileStringsRoundTrip() throws {
        let hostile = [
            "", " ", "  leading", "trailing  ", "null", "~", "Null", "true", "no", "0x1F", "1e3", "-1", ".5", "2026-01-15T10:00:00Z",
            "#comment", "a # b", "key: value", "- item", "? q", "[a, b]", "{a: b}", "&anchor", "*alias", "!tag", "!!binary AAAA",
            "|", ">", "'single'", "\"double\"", "back\\slash", "%YAML 1.2", "---", "...", "--- x", "tab\there",
            "line1\nline2", "\n", "\n\n", "trailing newline\n", "\r\n", "cr\ronly", "\u{0}", "nul\u{0}inside", "\u{7}\u{8}\u{1b}[31m",
            "\u{85}", "\u{2028}", "\u{2029}", "\u{feff}bom", "\u{fffe}", "é", "日本語", "🔐🔑", "emoji 👩‍👩‍👧", "\u{7f}",
            String(repeating: "long ", count: 4000), String(repeating: "x", count: 100_000),
            "@all", "op://vault/item/field", "ghp_1234567890abcdef", "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n",
        ]
        for s in hostile { try roundTrip(Array(s.utf8)) }
        // Every single byte, and every ASCII control character in context.
        for b in UInt8.min...UInt8.max { try roundTrip([b]); try roundTrip([0x61, b, 0x62]) }
    }

    func testArbitraryByteStringsRoundTrip() throws {
        var g = SystemRandomNumberGenerator()
        for n in [1, 2, 3, 16, 255, 4096] {
            for _ in 0..<50 { try roundTrip((0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }) }
        }
        try roundTrip([0xff, 0xfe, 0x00])      // not UTF-8 → !!binary
        try roundTrip([0xed, 0xa0, 0x80])      // an encoded surrogate, invalid UTF-8
        try roundTrip([0xc0, 0xaf])            // overlong '/'
    }

    func testNonUTF8IsWrittenAsBinary() throws {
        let yaml = String(decoding: try YAMLEmitter.emit(.map([("s", HostManifest.secretNode([0xff, 0x00]))])), as: UTF8.self)
        XCTAssertTrue(yaml.contains("!!binary"), yaml)
    }

    func testAmbiguousStringsAreQuoted() throws {
        let yaml = String(decoding: try YAMLEmitter.emit(.map([("a", .string("null")), ("b", .string("123")), ("c", .string("plain_word"))])), as: UTF8.self)
        XCTAssertEqual(yaml, "a: \"null\"\nb: \"123\"\nc: plain_word\n")
    }
}
