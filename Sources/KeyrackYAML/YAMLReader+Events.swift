/// A document's events as plain values, for holding the two readers of `YAMLReader` (libyaml and
/// the subset scanner) to each other: YAMLSubsetTests and the fuzz-manifest-subset target.
extension YAMLReader {
    /// One event as a decoder sees it. `line` is nil for the ends of collections, whose place
    /// no decoder reports (libyaml puts it at the next token).
    public struct Event: Equatable, Sendable, CustomStringConvertible {
        public var kind: Kind
        public var line: Int?
        public var bytes: [UInt8]
        public var plain: Bool
        public var tag: Tag

        public var description: String {
            kind == .scalar ? "scalar@\(line ?? 0) \(plain ? "plain" : "quoted") \(tag) \(bytes)" : "\(kind)@\(line.map(String.init) ?? "-")"
        }
    }

    /// The events of the root node of `bytes`' one document, as the reader on `path` yields them.
    /// With `pairs`, each mapping is entered with `enterMapping(pairs:)`, and each pair it hands
    /// over is the two events it stands for: the same list, or the pairs are not what they say.
    public static func events(_ bytes: [UInt8], path: Path, pairs: Bool = false) throws -> [Event] {
        try read(bytes, path: path) { reader in
            var out: [Event] = []
            var depth = 0
            repeat {
                switch reader.kind {
                case .scalar:
                    out.append(Event(kind: .scalar, line: reader.line, bytes: Array(reader.scalarBytes), plain: reader.scalarIsPlain, tag: reader.scalarTag))
                case .mappingStart, .sequenceStart:
                    depth += 1
                    out.append(Event(kind: reader.kind, line: reader.line, bytes: [], plain: false, tag: .none))
                    if pairs && reader.kind == .mappingStart {
                        try reader.enterMapping { pair in
                            out.append(Event(kind: .scalar, line: pair.line, bytes: Array(pair.key), plain: pair.keyIsPlain, tag: .none))
                            out.append(Event(kind: .scalar, line: pair.line, bytes: Array(pair.value), plain: pair.valueIsPlain, tag: .none))
                        }
                        continue
                    }
                case .mappingEnd, .sequenceEnd:
                    depth -= 1
                    out.append(Event(kind: reader.kind, line: nil, bytes: [], plain: false, tag: .none))
                default:
                    throw YAMLError(line: reader.line, "unexpected event \(reader.kind)")
                }
                try reader.advance()
            } while depth > 0
            return out
        }
    }
}
