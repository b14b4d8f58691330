/// Strict typed reading of one YAML mapping: every field the caller asks for is marked used,
/// and `finish()` refuses whatever is left, so a field this keyrack does not know is reported,
/// never silently dropped on the next write.
public struct YAMLFields {
    public let path: String
    public let line: Int
    private let pairs: [YAMLPair]
    /// Which pairs were asked for, by position: a flag per pair rather than a set of names,
    /// as a manifest reads one of these per key (no hashing, one small allocation).
    private var used: [Bool]

    public init(_ node: YAMLNode, path: String) throws {
        guard case .mapping(let pairs, let line) = node else {
            throw YAMLError(line: node.line, "\(path) must be a mapping")
        }
        self.path = path
        self.line = line
        self.pairs = pairs
        self.used = [Bool](repeating: false, count: pairs.count)
    }

    public var keys: [String] { pairs.map(\.key) }

    public mutating func node(_ name: String) -> YAMLNode? {
        // Keys are unique (the parser refuses duplicates), so the first match is the one.
        guard let i = pairs.firstIndex(where: { $0.key == name }) else { return nil }
        used[i] = true
        return pairs[i].value
    }

    public mutating func string(_ name: String) throws -> String {
        guard let value = try optionalString(name) else {
            throw YAMLError(line: line, "\(path).\(name) is missing")
        }
        return value
    }

    /// A string field that may be absent or null.
    public mutating func optionalString(_ name: String) throws -> String? {
        guard let node = node(name) else { return nil }
        guard case .scalar(let scalar, let line) = node else {
            throw YAMLError(line: node.line, "\(path).\(name) must be a string")
        }
        if scalar.isNull { return nil }
        guard scalar.tag == nil || scalar.tag == YAMLParser.strTag, let text = String(validating: scalar.bytes, as: UTF8.self) else {
            throw YAMLError(line: line, "\(path).\(name) must be a UTF-8 string")
        }
        return text
    }

    public mutating func int(_ name: String) throws -> Int {
        guard let node = node(name) else { throw YAMLError(line: line, "\(path).\(name) is missing") }
        return try YAMLFields.int(node, path: "\(path).\(name)")
    }

    /// A plain, untagged whole number: the field at `path` (named in the refusal) is `node`.
    public static func int(_ node: YAMLNode, path: String) throws -> Int {
        guard case .scalar(let scalar, _) = node, scalar.style == .plain, scalar.tag == nil, let n = Int(scalar.text) else {
            throw YAMLError(line: node.line, "\(path) must be a whole number")
        }
        return n
    }

    /// `true` or `false`, plain (YAML 1.2's core schema, no `yes`/`on`).
    public mutating func bool(_ name: String) throws -> Bool {
        guard let node = node(name) else { throw YAMLError(line: line, "\(path).\(name) is missing") }
        guard case .scalar(let scalar, _) = node, scalar.style == .plain, scalar.tag == nil,
              scalar.text == "true" || scalar.text == "false" else {
            throw YAMLError(line: node.line, "\(path).\(name) must be true or false")
        }
        return scalar.text == "true"
    }

    /// Refuses any field that was not asked for.
    public func finish() throws {
        if let i = used.firstIndex(of: false) {
            let extra = pairs[i]
            throw YAMLError(line: extra.keyLine, "unknown field '\(extra.key.prefix(60))' in \(path)")
        }
    }
}
