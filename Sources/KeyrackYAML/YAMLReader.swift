import CYAML

/// A cursor over libyaml's events for one document: the current event is read in place, in
/// libyaml's own memory, until `advance()` moves past it.
///
/// Both readers of keyrack's files sit on it: `YAMLParser` builds a `YAMLNode` tree from it, and
/// a reader of one large file (the host manifest, thousands of keys) decodes its entries straight
/// from the events, without a tree, a copy of every scalar and a lookup per field in between.
/// Every refusal that does not depend on what the caller makes of the document lives here, so
/// both readers refuse the same: aliases and anchors, explicit tags other than `!!str` and
/// `!!binary` (and `!!map`/`!!seq` on collections), nesting deeper than `YAMLParser.maxDepth`,
/// a mapping key that is not a plain string, several documents. Duplicate keys are the one
/// check left to whoever reads a mapping (`nextKey()` says so): the tree scans its pairs, a
/// decoder of known fields keeps a bit per field, a decoder of thousands of entries finds the
/// duplicate when it stores the entry.
///
/// A noncopyable struct, handed around `inout`, rather than a class: its state changes at every
/// event, and a class's stored properties are checked for exclusive access at run time on each
/// change (a tenth of reading a manifest), where a struct's are checked by the compiler.
public struct YAMLReader: ~Copyable {
    /// What the current event is.
    public enum Kind: Equatable, Sendable {
        case scalar, sequenceStart, sequenceEnd, mappingStart, mappingEnd
        /// After the root node: the document's end, or (only where the stream ends without one) the stream's.
        case documentEnd, streamEnd
        /// Before the document: the stream's and the document's start.
        case streamStart, documentStart
    }

    /// An explicit tag on a scalar: the only two the reader lets through.
    public enum Tag: Equatable, Sendable { case none, str, binary }

    public internal(set) var kind: Kind = .streamStart
    /// The 1-based line the current event starts on.
    public internal(set) var line = 1
    /// The line of the event before (the place a depth refusal names, as the tree reader always did).
    var previousLine = 1
    /// How many sequences and mappings are open around the current event.
    var open = 0
    /// The last key `nextKey()` read, and its line. Overwritten by the next key read, nested
    /// mappings' included: copy it before reading the value when it is needed after.
    @inlinable public var key: [UInt8] { Array(keyBytes) }
    public internal(set) var keyLine = 0
    /// The same key in place, valid until the next `nextKey()`: in the input on the subset path,
    /// else in `keyBuffer` (libyaml frees the key's event at the next one). No array per key.
    public internal(set) var keyBytes = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    private var keyBuffer = UnsafeMutableBufferPointer<UInt8>(start: nil, count: 0)

    private let parser: UnsafeMutablePointer<yaml_parser_t>?
    /// The fast path's event source, when `onSubset` (`parser` is then nil). Not an optional: each
    /// look into an optional struct copied the whole scanner out of it, several times a scalar.
    var subset: YAMLSubsetScanner
    @usableFromInline let onSubset: Bool
    private let event: UnsafeMutablePointer<yaml_event_t>
    /// Whether `event` holds an event of libyaml's to delete before the next.
    private var holding = false
    /// An empty input or one of comments only: the document is a single null scalar on line 1.
    private var nullDocument = false

    init(parser: UnsafeMutablePointer<yaml_parser_t>?, nullDocument: Bool = false, subset: YAMLSubsetScanner? = nil) {
        self.parser = parser
        onSubset = subset != nil
        stableInput = subset.map { UnsafeBufferPointer(start: $0.base, count: $0.end) }
        self.subset = subset ?? YAMLSubsetScanner()
        event = UnsafeMutablePointer<yaml_event_t>.allocate(capacity: 1)
        event.initialize(to: yaml_event_t())
        self.nullDocument = nullDocument
        if nullDocument {
            kind = .scalar
            scalarIsPlain = true
        }
    }

    deinit {
        keyBuffer.deallocate()
        if holding { yaml_event_delete(event) }
        event.deinitialize(count: 1)
        event.deallocate()
    }

    /// Reads the one document in `bytes`: `body` gets the reader at the root node's first event
    /// and must read exactly that node; then the document must end, and the stream with it.
    /// An empty input (or comments only) is a document of one null scalar.
    public static func read<T>(_ bytes: [UInt8], _ body: (inout YAMLReader) throws -> T) throws -> T {
        try read(bytes, path: .libyaml, body)
    }

    /// Which reader of the bytes `read(_:path:_:)` uses.
    public enum Path: Sendable {
        /// libyaml: all of YAML that keyrack allows.
        case libyaml
        /// The subset keyrack's own emitter writes (`YAMLSubsetScanner`), read without libyaml;
        /// a document outside it, or one `body` refuses, is read again, whole, by libyaml, so
        /// the result or the refusal is always libyaml's. `body` must then be safe to run twice.
        case subsetFirst
        /// The subset only (tests): `Declined` when the document leaves it or `body` refuses.
        case subsetOnly
    }

    /// The subset reader did not take the document (`Path.subsetOnly`).
    public struct Declined: Error, Equatable {}

    public static func read<T>(_ bytes: [UInt8], path: Path, _ body: (inout YAMLReader) throws -> T) throws -> T {
        if path != .libyaml {
            do {
                return try bytes.withUnsafeBufferPointer { input in
                    guard input.count > 0 else { throw Declined() }
                    var reader = YAMLReader(parser: nil, subset: YAMLSubsetScanner(input))
                    return try reader.document(body)
                }
            } catch {
                // Whatever stopped the fast path (a byte outside the subset or a refusal of
                // the decoder's), libyaml reads the document and has the last word.
                if path == .subsetOnly { throw Declined() }
            }
        }
        guard !bytes.isEmpty else {
            var reader = YAMLReader(parser: nil, nullDocument: true)
            return try body(&reader)
        }
        // The parser lives on the heap, at one address for its whole life: libyaml keeps
        // pointers into it (its input handler's data is the parser itself). `&local` would only
        // be valid for the duration of each single call.
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        parser.initialize(to: yaml_parser_t())
        defer { parser.deinitialize(count: 1); parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else { throw YAMLError(line: 0, "libyaml could not allocate a parser") }
        defer { yaml_parser_delete(parser) }
        // libyaml reads the caller's bytes in place (no copy): `bytes` outlives every parse call,
        // as this function returns only after the last one. The reader goes before the parser.
        return try bytes.withUnsafeBufferPointer { input in
            yaml_parser_set_input_string(parser, input.baseAddress!, input.count)
            var reader = YAMLReader(parser: parser)
            return try reader.document(body)
        }
    }

    private mutating func document<T>(_ body: (inout YAMLReader) throws -> T) throws -> T {
        try advance()
        guard kind == .streamStart else { throw YAMLError(line: 1, "expected the start of a YAML stream") }
        try advance()
        if kind == .streamEnd {
            nullDocument = true
            kind = .scalar
            line = 1
            scalarBytes = UnsafeBufferPointer(start: nil, count: 0)
            scalarIsPlain = true
            return try body(&self)
        }
        guard kind == .documentStart else { throw YAMLError(line: 1, "expected a YAML document") }
        try advance()
        let rootLine = line
        let result = try body(&self)
        guard kind == .documentEnd else { throw YAMLError(line: rootLine, "expected the end of the document") }
        try advance()
        guard kind == .streamEnd else {
            throw YAMLError(line: line, "the file holds more than one YAML document (keyrack files hold exactly one)",
                            fix: "keep one document, without a `---` line after it")
        }
        return result
    }

    /// Moves to the next event, refusing on the way what keyrack never writes.
    public mutating func advance() throws {
        if nullDocument {
            // The null document's one scalar is read: what follows it is the end.
            nullDocument = false
            kind = .documentEnd
            return
        }
        if onSubset {
            guard subset.next() else { throw Declined() }
            previousLine = line
            line = subset.eventLine
            kind = subset.kind
            switch kind {
            case .scalar:
                scalarTag = subset.binary ? .binary : .none
                scalarBytes = UnsafeBufferPointer(start: subset.base + subset.start, count: subset.count)
                scalarIsPlain = subset.plain
                return
            case .mappingStart, .sequenceStart: open += 1
            case .mappingEnd, .sequenceEnd: open -= 1
            default: break
            }
            scalarBytes = UnsafeBufferPointer(start: nil, count: 0)
            return
        }
        scalarBytes = UnsafeBufferPointer(start: nil, count: 0)
        guard let parser else { kind = .streamEnd; return }
        if holding { yaml_event_delete(event); holding = false }
        guard yaml_parser_parse(parser, event) == 1 else {
            let problem = parser.pointee.problem.map { String(cString: $0) } ?? "unknown error"
            throw YAMLError(line: Int(parser.pointee.problem_mark.line) + 1, "not valid YAML: \(problem)")
        }
        holding = true
        previousLine = line
        line = Int(event.pointee.start_mark.line) + 1
        switch event.pointee.type {
        case YAML_STREAM_START_EVENT: kind = .streamStart
        case YAML_STREAM_END_EVENT: kind = .streamEnd
        case YAML_DOCUMENT_START_EVENT: kind = .documentStart
        case YAML_DOCUMENT_END_EVENT: kind = .documentEnd
        case YAML_ALIAS_EVENT:
            throw YAMLError(line: line, "YAML aliases (*name) are not allowed in keyrack files", fix: YAMLParser.writeOut)
        case YAML_SCALAR_EVENT:
            let s = event.pointee.data.scalar
            let tag = try refuse(anchor: s.anchor, tag: s.tag, allowed: YAMLReader.scalarTags)
            scalarTag = tag == nil ? .none : tag == YAMLParser.binaryTag ? .binary : .str
            kind = .scalar
            if let value = s.value { scalarBytes = UnsafeBufferPointer(start: value, count: Int(s.length)) }
            scalarIsPlain = s.style == YAML_PLAIN_SCALAR_STYLE
        case YAML_SEQUENCE_START_EVENT:
            let s = event.pointee.data.sequence_start
            try refuse(anchor: s.anchor, tag: s.tag, allowed: YAMLReader.collectionTags)
            open += 1
            kind = .sequenceStart
        case YAML_MAPPING_START_EVENT:
            let m = event.pointee.data.mapping_start
            try refuse(anchor: m.anchor, tag: m.tag, allowed: YAMLReader.collectionTags)
            open += 1
            kind = .mappingStart
        case YAML_SEQUENCE_END_EVENT: open -= 1; kind = .sequenceEnd
        case YAML_MAPPING_END_EVENT: open -= 1; kind = .mappingEnd
        default: throw YAMLError(line: line, "unexpected YAML event")
        }
    }

    private static let scalarTags = [YAMLParser.binaryTag, YAMLParser.strTag]
    private static let collectionTags = ["tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"]

    /// The checks every node's first event passes: its depth, no anchor, no tag but `allowed`.
    /// Returns the tag (one of `allowed`), nil without one.
    @discardableResult
    private mutating func refuse(anchor: UnsafeMutablePointer<yaml_char_t>?, tag: UnsafeMutablePointer<yaml_char_t>?, allowed: [String]) throws -> String? {
        guard open < YAMLParser.maxDepth else { throw YAMLError(line: previousLine, "nesting deeper than \(YAMLParser.maxDepth) levels") }
        if anchor != nil { throw YAMLError(line: line, "YAML anchors (&name) are not allowed in keyrack files", fix: YAMLParser.writeOut) }
        guard let tag else { return nil }
        let name = String(cString: tag)
        guard allowed.contains(name) else {
            throw YAMLError(line: line, "unsupported YAML tag '\(name)'", fix: "remove the tag: keyrack files hold plain strings, lists and mappings")
        }
        return name
    }

    // MARK: the current scalar (valid until `advance()`)

    /// The current scalar's value as libyaml decoded it (NUL included), in libyaml's memory or
    /// in the input; empty at any other event. Stored at each event, as are the other facts of
    /// the current scalar below: a decoder asks for them several times a scalar, from another
    /// module, where a computed property is a call.
    public internal(set) var scalarBytes = UnsafeBufferPointer<UInt8>(start: nil, count: 0)

    /// The input the current scalar's bytes lie in, when they stay valid until `read` returns
    /// (the subset path reads the caller's bytes in place); nil where they go at the next event
    /// (libyaml's, which a reader must copy to keep).
    public let stableInput: UnsafeBufferPointer<UInt8>?

    /// Unquoted (so subject to YAML's implicit typing), as opposed to quoted or a block scalar.
    public internal(set) var scalarIsPlain = false

    /// The current scalar's explicit tag (the reader refused any other).
    public internal(set) var scalarTag: Tag = .none

    /// Whether the current scalar's bytes are UTF-8 (all ASCII, as nearly every one is, is
    /// answered without asking the standard library's validator).
    /// Inlinable, as are the other computed facts of the scalar a decoder asks for at each one:
    /// a call into this module passed the whole reader, copied, as `self`.
    @inlinable public var scalarIsUTF8: Bool {
        // The subset reader takes only ASCII plain scalars and checked UTF-8 in quotes.
        onSubset || YAMLReader.isUTF8(scalarBytes)
    }

    @usableFromInline static func isUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var ascii = true
        for b in bytes where b >= 0x80 { ascii = false; break }
        return ascii || String(validating: bytes, as: UTF8.self) != nil
    }

    /// YAML 1.2 core-schema null: only unquoted, untagged `null`, `Null`, `NULL`, `~` or nothing.
    @inlinable public var scalarIsNull: Bool {
        scalarIsPlain && scalarTag == .none && YAMLReader.isNullText(scalarBytes)
    }

    /// `YAMLScalar.isNullText`, answered without a call but for four bytes that start as `null`,
    /// `Null` and `NULL` do.
    @inlinable static func isNullText(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        switch bytes.count {
        case 0: return true
        case 1: return bytes[0] == UInt8(ascii: "~")
        case 4: return (bytes[0] == UInt8(ascii: "n") || bytes[0] == UInt8(ascii: "N")) && isNullSpelling(bytes)
        default: return false
        }
    }

    @usableFromInline static func isNullSpelling(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool { YAMLScalar.isNullText(bytes) }

    /// A copy of the current scalar, detached from libyaml's memory.
    public var scalar: YAMLScalar {
        let tag: String? = switch scalarTag {
        case .none: nil
        case .str: YAMLParser.strTag
        case .binary: YAMLParser.binaryTag
        }
        return YAMLScalar(bytes: Array(scalarBytes), style: scalarIsPlain ? .plain : .quoted, tag: tag)
    }

    // MARK: mappings

    /// At a mapping's start (`kind == .mappingStart`): moves to its first key (or its end).
    public mutating func enterMapping() throws {
        precondition(kind == .mappingStart, "enterMapping() away from a mapping's start")
        try advance()
    }

    /// One `key: value` line of a block mapping, read at once (`enterMapping(pairs:)`): the key
    /// and its scalar value, both on `line`, untagged, UTF-8. Valid until the reader moves.
    public struct ScalarPair {
        public let key: UnsafeBufferPointer<UInt8>
        public let keyIsPlain: Bool
        public let value: UnsafeBufferPointer<UInt8>
        public let valueIsPlain: Bool
        public let line: Int

        /// Null, as `scalarIsNull` says of the value.
        @inlinable @inline(__always) public var valueIsNull: Bool { valueIsPlain && YAMLReader.isNullText(value) }

        /// The value as `YAMLParser.node` reads it.
        public var node: YAMLNode { .scalar(YAMLScalar(bytes: Array(value), style: valueIsPlain ? .plain : .quoted), line: line) }
    }

    /// At a mapping's start, as `enterMapping()`, but first hands `body` each of the mapping's
    /// first pairs that the reader reads in one step: on the subset path, each line that is a
    /// plain or quoted key and a plain or quoted value (`YAMLSubsetScanner.pair()`); on
    /// libyaml's, none. They are the very pairs `nextKey()` and an `advance()` past the value
    /// would read, at a fraction of the cost (a pair a line is most of a manifest). Then the
    /// reader moves to the next event, and the caller reads the rest of the mapping with
    /// `nextKey()` as usual, counting the keys met here as met for duplicates. (`body` cannot
    /// look at the reader meanwhile: the reader's state is only brought up to date at the end.)
    public mutating func enterMapping(pairs body: (ScalarPair) throws -> Void) throws {
        precondition(kind == .mappingStart, "enterMapping(pairs:) away from a mapping's start")
        if onSubset {
            while subset.pair() {
                let key = UnsafeBufferPointer(start: subset.base + subset.pairKeyStart, count: subset.pairKeyCount)
                let value = UnsafeBufferPointer(start: subset.base + subset.start, count: subset.count)
                // The line of the last event read, as after the value's.
                line = subset.eventLine
                try body(ScalarPair(key: key, keyIsPlain: subset.pairKeyPlain, value: value, valueIsPlain: subset.plain, line: line))
            }
        }
        try advance()
    }

    /// In a mapping: at its end, moves past it and answers false; else reads the key (a plain
    /// string, into `key` and `keyLine`) and moves to its value, which the caller must read.
    /// Duplicate keys are not looked for here: the caller refuses them (`duplicateKey`).
    public mutating func nextKey() throws -> Bool {
        if kind == .mappingEnd {
            try advance()
            return false
        }
        guard kind == .scalar, scalarTag != .binary else {
            throw YAMLError(line: line, "mapping keys must be plain strings", fix: "write the key as a plain string")
        }
        let bytes = scalarBytes
        if onSubset {
            keyBytes = bytes
        } else {
            if keyBuffer.count < bytes.count {
                keyBuffer.deallocate()
                keyBuffer = .allocate(capacity: max(bytes.count, 2 * keyBuffer.count, 64))
            }
            // An empty key (`?` alone) has nothing to copy, and the buffer may not exist yet.
            if !bytes.isEmpty, let source = bytes.baseAddress { keyBuffer.baseAddress!.update(from: source, count: bytes.count) }
            keyBytes = UnsafeBufferPointer(start: keyBuffer.baseAddress, count: bytes.count)
        }
        keyLine = line
        try advance()
        return true
    }

    /// The refusal of a key met twice in one mapping.
    public static func duplicateKey(_ name: some Collection<UInt8>, line: Int) -> YAMLError {
        YAMLError(line: line, "duplicate key '\(String(decoding: name, as: UTF8.self).prefix(80))'", fix: "keep one of them")
    }
}
