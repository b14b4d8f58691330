/// Parses one YAML document with libyaml's event API (through `YAMLReader`) into a `YAMLNode` tree.
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
        try YAMLReader.read(bytes) { try node(&$0) }
    }

    /// Reads the node whose first event is the reader's current one, and moves past it. The
    /// reader refuses what no keyrack file holds; what is left here is the tree's own rule:
    /// no key twice in one mapping.
    public static func node(_ reader: inout YAMLReader) throws -> YAMLNode {
        let line = reader.line
        switch reader.kind {
        case .scalar:
            let scalar = reader.scalar
            try reader.advance()
            return .scalar(scalar, line: line)
        case .sequenceStart:
            try reader.advance()
            var items: [YAMLNode] = []
            while reader.kind != .sequenceEnd { items.append(try node(&reader)) }
            try reader.advance()
            return .sequence(items, line: line)
        case .mappingStart:
            try reader.enterMapping()
            var pairs: [YAMLPair] = []
            // Duplicates are looked for among the pairs themselves while the mapping is small
            // (a key's handful of fields: no set to allocate, grow and hash into per mapping,
            // which was a tenth of reading a 10 000-key manifest), in a set once it is not.
            var seen = Set<String>()
            while try reader.nextKey() {
                let name = String(decoding: reader.key, as: UTF8.self)
                let keyLine = reader.keyLine
                if pairs.count < smallMapping {
                    guard !pairs.contains(where: { $0.key == name }) else { throw YAMLReader.duplicateKey(reader.key, line: keyLine) }
                } else {
                    if seen.isEmpty {
                        seen.reserveCapacity(pairs.count * 2)
                        for p in pairs { seen.insert(p.key) }
                    }
                    guard seen.insert(name).inserted else { throw YAMLReader.duplicateKey(reader.key, line: keyLine) }
                }
                pairs.append(YAMLPair(key: name, keyLine: keyLine, value: try node(&reader)))
            }
            return .mapping(pairs, line: line)
        default:
            throw YAMLError(line: line, "unexpected structure in YAML document")
        }
    }
}
