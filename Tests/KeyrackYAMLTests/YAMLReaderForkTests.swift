import XCTest
@testable import KeyrackYAML

/// A block mapping read by two readers (YAMLReader.Fork): the first reads up to the fork's line,
/// takes over where the second got to, and reads on; the events, lines included, must be the
/// very ones one reader reads alone, wherever the fork is.
final class YAMLReaderForkTests: XCTestCase {
    /// A manifest's shape: entries with nested mappings, lists, quoted keys and values, and
    /// sections before and after `keys:`.
    private let document = """
    version: 1
    owner:
      name: a
    keys:
      a.b.A:
        slug: a.b.A
        sendTo:
        - x.example
        - y.example
        createdAt: "2026"
      "a.b.B":
        slug: "a.b.B"
        options:
          account: my
          region: eu
      a.b.C:
        exid: "op://v/i"
        nested:
          deeper:
            deepest: 1
      a.b.D:
        list:
        - k: v
          l: w
        - z
      a.b.E: {}
      a.b.F:
        last: true
    secrets:
      a.b.A: x
      a.b.B: "y z"
    audit:
      seed: s

    """

    /// The events from the reader's current one until `stop` says so before one (not read) or
    /// the document ends.
    private func events(_ reader: inout YAMLReader, until stop: (borrowing YAMLReader) -> Bool = { _ in false }) throws -> [YAMLReader.Event] {
        var out: [YAMLReader.Event] = []
        while reader.kind != .documentEnd, !stop(reader) {
            out.append(YAMLReader.Event(kind: reader.kind, line: reader.line, bytes: Array(reader.scalarBytes), plain: reader.scalarIsPlain, tag: reader.scalarTag))
            try reader.advance()
        }
        return out
    }

    /// The events from the key a forked reader starts at to just after the mapping it is in
    /// ends, and where it got to.
    private func forkedEvents(_ fork: YAMLReader.Fork) throws -> ([YAMLReader.Event], YAMLReader.Position) {
        var reader = try YAMLReader(resuming: fork)
        var depth = 0, out: [YAMLReader.Event] = []
        while true {
            out.append(YAMLReader.Event(kind: reader.kind, line: reader.line, bytes: Array(reader.scalarBytes), plain: reader.scalarIsPlain, tag: reader.scalarTag))
            let kind = reader.kind
            try reader.advance()
            if kind == .mappingStart || kind == .sequenceStart { depth += 1 }
            if kind == .mappingEnd || kind == .sequenceEnd {
                depth -= 1
                if depth < 0 { return (out, reader.position) }
            }
        }
    }

    /// Reads the document with a fork of `keys:` at the first candidate line from `from`: the
    /// events, as one reader reads them (nil when no fork was made there or the first reader
    /// never came to it).
    private func readForked(_ bytes: [UInt8], from: Int) throws -> [YAMLReader.Event]? {
        try YAMLReader.read(bytes, path: .subsetOnly) { reader in
            var out = try events(&reader) { r in r.kind == .mappingStart && r.mappingContentStart != nil && r.line == 5 }
            guard let fork = reader.fork(from: from, limit: .max) else {
                _ = try events(&reader)
                return nil
            }
            let (second, end) = try forkedEvents(fork)
            out += try events(&reader) { $0.isAt(fork) }
            guard reader.isAt(fork) else { return nil }
            let shift = reader.line - 1
            out += second.map { var e = $0; e.line = e.line.map { $0 + shift }; return e }
            reader.resume(at: end, from: fork)
            out += try events(&reader)
            return out
        }
    }

    func testEveryForkReadsAsOneReaderDoes() throws {
        let bytes = Array(document.utf8)
        let serial = try YAMLReader.read(bytes, path: .subsetOnly) { reader in try events(&reader) }
        var taken = 0
        for from in 0..<bytes.count {
            guard let forked = try readForked(bytes, from: from) else { continue }
            XCTAssertEqual(forked, serial, "fork from byte \(from)")
            taken += 1
        }
        XCTAssertGreaterThan(taken, 300)
        let lines = Set((0..<bytes.count).compactMap { from in
            try? YAMLReader.read(bytes, path: .subsetOnly) { reader in
                _ = try events(&reader) { r in r.kind == .mappingStart && r.mappingContentStart != nil && r.line == 5 }
                let offset = reader.fork(from: from, limit: .max)?.offset
                _ = try events(&reader)
                return offset
            }
        }.map { offset in bytes[..<offset].filter { $0 == 0x0a }.count + 1 })
        XCTAssertEqual(lines, [5, 11, 16, 21, 27], "the keys of `keys:` whose values are blocks (not E's `{}`)")
    }

    /// A line that looks like a key of the mapping but is not one of its keys: the first reader
    /// never comes to it (here a key of a mapping in a list, indented as the keys are).
    func testAForkAtALineThatIsNoKeyOfTheMappingIsNeverReached() throws {
        let text = "keys:\n  a.b.A:\n    k: v\nz:\n- m: 1\n  n:\n    o: 1\n"
        let bytes = Array(text.utf8)
        let serial = try YAMLReader.read(bytes, path: .subsetOnly) { reader in try events(&reader) }
        try YAMLReader.read(bytes, path: .subsetOnly) { reader in
            try reader.advance()
            try reader.advance()
            XCTAssertEqual(reader.kind, .mappingStart)
            // `  n:`, a key of `z:`'s list entry, past the mapping.
            let fork = try XCTUnwrap(reader.fork(from: 24, limit: .max))
            XCTAssertEqual(fork.offset, text.utf8.count - 14)
            let rest = try events(&reader) { $0.isAt(fork) }
            XCTAssertEqual(reader.kind, .documentEnd)
            XCTAssertEqual(rest, Array(serial.dropFirst(2)))
        }
    }

    /// Where nothing is forked: libyaml's path, a flow mapping, a reader not at a mapping's start.
    func testNoForkOffTheSubsetOrAwayFromABlockMappingsStart() throws {
        let bytes = Array(document.utf8)
        try YAMLReader.read(bytes, path: .libyaml) { reader in
            XCTAssertNil(reader.mappingContentStart)
            XCTAssertNil(reader.fork(from: 0, limit: .max))
            _ = try YAMLParser.node(&reader)
        }
        try YAMLReader.read(bytes, path: .subsetOnly) { reader in
            try reader.enterMapping()
            XCTAssertNil(reader.fork(from: 0, limit: .max), "at a key")
            _ = try events(&reader)
        }
        try YAMLReader.read(Array("a: {}\n".utf8), path: .subsetOnly) { reader in
            try reader.enterMapping()
            _ = try reader.nextKey()
            XCTAssertEqual(reader.kind, .mappingStart)
            XCTAssertNil(reader.mappingContentStart, "a flow mapping")
            _ = try events(&reader)
        }
    }
}
