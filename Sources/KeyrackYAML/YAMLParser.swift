import CYAML

/// Parses one YAML document with libyaml's event API into a `YAMLNode` tree.
///
/// It is deliberately stricter than YAML: keyrack's files are written by keyrack and read back,
/// so anything keyrack never writes is more likely damage or an attack than intent. Refused:
/// aliases and anchors (no billion-laughs expansion, no shared nodes), several documents,
/// non-scalar mapping keys, duplicate keys (YAML says they are an error; many parsers silently
/// keep the last one), and explicit tags other than `!!str` and `!!binary`.
public enum YAMLParser {
    public static let maxDepth = 32
    /// The fix of an anchor or alias: keyrack never writes either.
    static let writeOut = "write the value out in full where it is used"
    public static let binaryTag = "tag:yaml.org,2002:binary"
    public static let strTag = "tag:yaml.org,2002:str"
    /// Up to this many pairs, a duplicate key is found by scanning the pairs read so far.
    static let smallMapping = 16

    /// Parses `bytes`. An empty document (or only comments) parses as a null scalar.
    public static func parse(_ bytes: [UInt8]) throws -> YAMLNode {
        guard !bytes.isEmpty else { return .scalar(YAMLScalar("", style: .plain), line: 1) }
        // The parser lives on the heap, at one address for its whole life: libyaml keeps
        // pointers into it (its input handler's data is the parser itself), and EventReader
        // keeps one too. `&local` would only be valid for the duration of each single call.
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        parser.initialize(to: yaml_parser_t())
        defer { parser.deinitialize(count: 1); parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else { throw YAMLError(line: 0, "libyaml could not allocate a parser") }
        defer { yaml_parser_delete(parser) }
        // libyaml reads the caller's bytes in place (no copy): `bytes` outlives every parse call,
        // as this function returns only after the last one.
        return try bytes.withUnsafeBufferPointer { input in
            yaml_parser_set_input_string(parser, input.baseAddress!, input.count)
            return try document(EventReader(parser: parser))
        }
    }

    private static func document(_ reader: EventReader) throws -> YAMLNode {
        var reader = reader
        guard case .streamStart = try reader.next() else { throw YAMLError(line: 1, "expected the start of a YAML stream") }
        let first = try reader.next()
        if case .streamEnd = first { return .scalar(YAMLScalar("", style: .plain), line: 1) }
        guard case .documentStart = first else { throw YAMLError(line: 1, "expected a YAML document") }
        let root = try reader.node(depth: 0)
        guard case .documentEnd = try reader.next() else { throw YAMLError(line: root.line, "expected the end of the document") }
        let after = try reader.next()
        guard case .streamEnd = after else {
            throw YAMLError(line: reader.lastLine, "the file holds more than one YAML document (keyrack files hold exactly one)",
                            fix: "keep one document, without a `---` line after it")
        }
        return root
    }
}

/// A copy of one libyaml event, detached from libyaml's memory.
private enum Event {
    case streamStart, streamEnd, documentStart, documentEnd
    case alias
    case scalar(YAMLScalar, anchored: Bool)
    case sequenceStart(anchored: Bool, tag: String?)
    case sequenceEnd
    case mappingStart(anchored: Bool, tag: String?)
    case mappingEnd
}

private struct EventReader {
    var parser: UnsafeMutablePointer<yaml_parser_t>
    var lastLine = 1

    init(parser: UnsafeMutablePointer<yaml_parser_t>) { self.parser = parser }

    /// libyaml has no peek, so collections are read by asking for the next event and, when it is
    /// not the end, handing it back through a one-event buffer.
    private var pending: (Event, Int)?

    mutating func next() throws -> Event {
        if let (event, line) = pending {
            pending = nil
            lastLine = line
            return event
        }
        return try read()
    }

    private mutating func read() throws -> Event {
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) == 1 else {
            let problem = parser.pointee.problem.map { String(cString: $0) } ?? "unknown error"
            let line = Int(parser.pointee.problem_mark.line) + 1
            throw YAMLError(line: line, "not valid YAML: \(problem)")
        }
        defer { yaml_event_delete(&event) }
        lastLine = Int(event.start_mark.line) + 1
        switch event.type {
        case YAML_STREAM_START_EVENT: return .streamStart
        case YAML_STREAM_END_EVENT: return .streamEnd
        case YAML_DOCUMENT_START_EVENT: return .documentStart
        case YAML_DOCUMENT_END_EVENT: return .documentEnd
        case YAML_ALIAS_EVENT: return .alias
        case YAML_SCALAR_EVENT:
            let s = event.data.scalar
            let bytes = s.value.map { Array(UnsafeBufferPointer(start: $0, count: Int(s.length))) } ?? []
            let style: YAMLScalar.Style = s.style == YAML_PLAIN_SCALAR_STYLE ? .plain : .quoted
            let tag = s.tag.map { String(cString: $0) }
            return .scalar(YAMLScalar(bytes: bytes, style: style, tag: tag), anchored: s.anchor != nil)
        case YAML_SEQUENCE_START_EVENT:
            let s = event.data.sequence_start
            return .sequenceStart(anchored: s.anchor != nil, tag: s.tag.map { String(cString: $0) })
        case YAML_SEQUENCE_END_EVENT: return .sequenceEnd
        case YAML_MAPPING_START_EVENT:
            let m = event.data.mapping_start
            return .mappingStart(anchored: m.anchor != nil, tag: m.tag.map { String(cString: $0) })
        case YAML_MAPPING_END_EVENT: return .mappingEnd
        default: throw YAMLError(line: lastLine, "unexpected YAML event")
        }
    }

    /// Reads one complete node whose first event is next in the stream.
    mutating func node(depth: Int) throws -> YAMLNode {
        guard depth < YAMLParser.maxDepth else { throw YAMLError(line: lastLine, "nesting deeper than \(YAMLParser.maxDepth) levels") }
        let event = try next()
        let line = lastLine
        switch event {
        case .alias:
            throw YAMLError(line: line, "YAML aliases (*name) are not allowed in keyrack files", fix: YAMLParser.writeOut)
        case .scalar(let scalar, let anchored):
            if anchored { throw YAMLError(line: line, "YAML anchors (&name) are not allowed in keyrack files", fix: YAMLParser.writeOut) }
            if let tag = scalar.tag, tag != YAMLParser.binaryTag, tag != YAMLParser.strTag {
                throw YAMLError(line: line, "unsupported YAML tag '\(tag)'", fix: "remove the tag: keyrack files hold plain strings, lists and mappings")
            }
            return .scalar(scalar, line: line)
        case .sequenceStart(let anchored, let tag):
            try refuse(anchored: anchored, tag: tag, line: line)
            var items: [YAMLNode] = []
            while true {
                if try peekEnd(sequence: true) { break }
                items.append(try node(depth: depth + 1))
            }
            return .sequence(items, line: line)
        case .mappingStart(let anchored, let tag):
            try refuse(anchored: anchored, tag: tag, line: line)
            var pairs: [YAMLPair] = []
            // Duplicates are looked for among the pairs themselves while the mapping is small
            // (a key's handful of fields: no set to allocate, grow and hash into per mapping,
            // which was a tenth of reading a 10 000-key manifest), in a set once it is not.
            var seen = Set<String>()
            while true {
                if try peekEnd(sequence: false) { break }
                let keyNode = try node(depth: depth + 1)
                guard case .scalar(let key, let keyLine) = keyNode, key.tag == nil || key.tag == YAMLParser.strTag else {
                    throw YAMLError(line: keyNode.line, "mapping keys must be plain strings", fix: "write the key as a plain string")
                }
                let name = key.text
                if pairs.count < YAMLParser.smallMapping {
                    guard !pairs.contains(where: { $0.key == name }) else {
                        throw YAMLError(line: keyLine, "duplicate key '\(name.prefix(80))'", fix: "keep one of them")
                    }
                } else {
                    if seen.isEmpty {
                        seen.reserveCapacity(pairs.count * 2)
                        for p in pairs { seen.insert(p.key) }
                    }
                    guard seen.insert(name).inserted else {
                        throw YAMLError(line: keyLine, "duplicate key '\(name.prefix(80))'", fix: "keep one of them")
                    }
                }
                let value = try node(depth: depth + 1)
                pairs.append(YAMLPair(key: name, keyLine: keyLine, value: value))
            }
            return .mapping(pairs, line: line)
        default:
            throw YAMLError(line: line, "unexpected structure in YAML document")
        }
    }

    private func refuse(anchored: Bool, tag: String?, line: Int) throws {
        if anchored { throw YAMLError(line: line, "YAML anchors (&name) are not allowed in keyrack files", fix: YAMLParser.writeOut) }
        if let tag, tag != "tag:yaml.org,2002:map", tag != "tag:yaml.org,2002:seq" {
            throw YAMLError(line: line, "unsupported YAML tag '\(tag)'", fix: "remove the tag: keyrack files hold plain strings, lists and mappings")
        }
    }

    private mutating func peekEnd(sequence: Bool) throws -> Bool {
        let event = try next()
        switch (event, sequence) {
        case (.sequenceEnd, true), (.mappingEnd, false): return true
        default:
            pending = (event, lastLine)
            return false
        }
    }
}
