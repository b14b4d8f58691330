import XCTest
@testable import KeyrackYAML

/// The subset reader's byte classes are one table; each class must be exactly the set its
/// documentation names, or it would take a byte libyaml reads otherwise. And a line it reads
/// in one step (`YAMLReader.enterMapping(pairs:)`) must be the very two events it stands for.
final class YAMLSubsetScannerTests: XCTestCase {
    private let letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

    func testTheWordMaskIsExactlyLettersDigitsAndTheSevenPunctuationBytes() {
        let word = Set((letters + "_./-@+=").utf8)
        for b in 0...255 {
            XCTAssertEqual(YAMLSubsetScanner.isWord(UInt8(b)), word.contains(UInt8(b)), "byte \(b)")
        }
    }

    func testEveryOtherByteClassIsExactlyItsSet() {
        let keyStart = Set((letters + "_").utf8), valueStart = Set((letters + "_+/").utf8)
        for b in 0...255 {
            let c = UInt8(b)
            XCTAssertEqual(YAMLSubsetScanner.isKeyStart(c), keyStart.contains(c), "key start, byte \(b)")
            XCTAssertEqual(YAMLSubsetScanner.isValueStart(c), valueStart.contains(c), "value start, byte \(b)")
            XCTAssertEqual(YAMLSubsetScanner.isQuotedText(c), (0x20..<0x7f).contains(b) && c != UInt8(ascii: "\"") && c != UInt8(ascii: "\\"),
                           "quoted text, byte \(b)")
        }
    }

    /// Documents of `key: value` lines among everything else the subset reader takes, and lines
    /// that look like pairs but are not quite (a tag, a collection, a nested mapping, a key at
    /// the wrong indent, a key too long, a quote left open, a missing blank or line break).
    private let documents: [String] = [
        "a: b\n",
        "version: 1\nowner:\n  name: x\n  via: age\n  pubkey: \"age1 x\"\nkeys:\n  o.e.K:\n    slug: o.e.K\n    exid: null\n    n: \"~\"\nsecrets:\n  o.e.K: v+/=\n",
        "\"quoted key\": \"quoted value\"\nplain: \"héllo ✓ 鍵\"\n\"k\": v\n",
        "a:\n- x\n- \"y\"\n- k: v\n  l: w\nb: c\n",
        "a: []\nb: {}\nc: d\n",
        "a: !!binary aGk=\nb: c\n",
        "a:\n  b:\n    c: d\n    e: f\n  g: h\ni: j\n",
        "a: b\n c: d\n",
        "a: b\n   c: d\n",
        "a: \"open\nb: c\n",
        "a:b\n",
        "a: b",
        "a: b c\n",
        "a: \"x\\\"y\"\n",
        "a: \"\u{2028}\"\n",
        "a: b #c\n",
        "\(String(repeating: "k", count: 512)): v\n",
        "\(String(repeating: "k", count: 513)): v\n",
        "\"\(String(repeating: "k", count: 510))\": v\n",
        "\"\(String(repeating: "k", count: 511))\": v\n",
        "a: \"\"\n\"\": b\n",
        "a: -x\nb: .y\n",
        "a: b\n\nc: d\n",
    ]

    func testALineReadInOneStepIsTheTwoEventsItStandsFor() throws {
        var taken = 0
        for text in documents {
            let bytes = Array(text.utf8)
            let events = try? YAMLReader.events(bytes, path: .subsetOnly)
            let paired = try? YAMLReader.events(bytes, path: .subsetOnly, pairs: true)
            XCTAssertEqual(paired, events, text.debugDescription)
            guard let paired else { continue }
            taken += 1
            XCTAssertEqual(paired, try YAMLReader.events(bytes, path: .libyaml), text.debugDescription)
            XCTAssertEqual(try YAMLReader.events(bytes, path: .libyaml, pairs: true), try YAMLReader.events(bytes, path: .libyaml), text.debugDescription)
        }
        XCTAssertEqual(taken, 10, "the documents the subset reader takes")
    }

    /// A mapping's first pairs come at once; the rest (from a value that is not a scalar on the
    /// key's line) through `nextKey()`, with the reader where it would have been.
    func testPairsStopAtTheFirstLineThatIsNotOne() throws {
        let text = "m:\n  a: x\n  b: \"y\"\n  c:\n  - z\n  d: w\n"
        let seen = try YAMLReader.read(Array(text.utf8), path: .subsetOnly) { reader -> [String] in
            var seen: [String] = []
            try reader.enterMapping()
            XCTAssertTrue(try reader.nextKey())
            try reader.enterMapping { pair in
                seen.append("\(String(decoding: pair.key, as: UTF8.self))@\(pair.line)=\(String(decoding: pair.value, as: UTF8.self)) plain:\(pair.valueIsPlain)")
            }
            while try reader.nextKey() {
                seen.append("\(String(decoding: reader.key, as: UTF8.self))@\(reader.keyLine)=\(try YAMLParser.node(&reader))")
            }
            XCTAssertFalse(try reader.nextKey())
            return seen
        }
        XCTAssertEqual(seen.count, 4)
        XCTAssertEqual(Array(seen.prefix(2)), ["a@2=x plain:true", "b@3=y plain:false"])
        XCTAssertTrue(seen[2].hasPrefix("c@4="), seen[2])
        XCTAssertTrue(seen[3].hasPrefix("d@6="), seen[3])
    }
}
