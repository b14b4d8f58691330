import KeyrackDaemon

// The one way keyrack writes `--json`: a Codable result type (or ErrorReport) encoded once, as
// one compact line. Foundation-free, because the `keyrack` front end answers `get --json` with
// it too, and the full CLI must print byte for byte the same.
//
// The shape every answer shares (docs/cli.md, "JSON output and errors"):
// - one line, no spaces, strings escaped by JSONString (the audit log's escaper);
// - a struct's fields in the order its type declares them, a dictionary's keys sorted: the
//   same value prints the same bytes every time;
// - an absent optional is `null`, never a missing field, so a script can rely on every field.

public enum JSONLine {
    /// `value` as one line of JSON (without the newline).
    public static func encode<T: Encodable>(_ value: T) -> String {
        let root = JSONNode()
        do {
            try root.encode(value)
        } catch {
            // The result types keyrack prints throw nothing; a custom `encode(to:)` that does is a bug.
            preconditionFailure("a --json result failed to encode: \(error)")
        }
        var out = ""
        root.write(into: &out)
        return out
    }

    /// Prints `value` on stdout as one line of JSON.
    public static func print<T: Encodable>(_ value: T) {
        Output.line(encode(value))
    }
}

/// One value of the tree being encoded. A class: containers hand out nested containers that are
/// filled after they are made.
final class JSONNode {
    enum Value {
        case unset
        case scalar(String)
        case array([JSONNode])
        case object([(key: String, node: JSONNode)])
    }

    var value: Value = .unset

    func encode<T: Encodable>(_ v: T) throws {
        switch v {
        case let s as String: value = .scalar(JSONString.quoted(s))
        case let b as Bool: value = .scalar(b ? "true" : "false")
        case let n as Int: value = .scalar(String(n))
        case let n as Int32: value = .scalar(String(n))
        case let n as Int64: value = .scalar(String(n))
        case let n as UInt: value = .scalar(String(n))
        case let n as UInt8: value = .scalar(String(n))
        case let n as UInt16: value = .scalar(String(n))
        case let n as UInt32: value = .scalar(String(n))
        case let n as UInt64: value = .scalar(String(n))
        case let d as Double: value = .scalar(d.isFinite ? d.description : "null")
        case let dictionary as [String: any Encodable]:
            // Sorted: a dictionary has no order of its own, and the output must be stable.
            var pairs: [(key: String, node: JSONNode)] = []
            for key in dictionary.keys.sorted() {
                let node = JSONNode()
                try node.encodeExistential(dictionary[key]!)
                pairs.append((key, node))
            }
            value = .object(pairs)
        default:
            try v.encode(to: JSONTreeEncoder(node: self, codingPath: []))
        }
    }

    /// Opens an existential value (a dictionary's) for `encode`.
    func encodeExistential(_ v: any Encodable) throws {
        try encode(v)
    }

    func write(into out: inout String) {
        switch value {
        case .unset: out += "null"
        case .scalar(let s): out += s
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(into: &out)
            }
            out += "]"
        case .object(let pairs):
            out += "{"
            for (i, pair) in pairs.enumerated() {
                if i > 0 { out += "," }
                JSONString.quote(pair.key, into: &out)
                out += ":"
                pair.node.write(into: &out)
            }
            out += "}"
        }
    }

    /// A new node under `key` of this object (made an object if it is not one yet).
    func child(_ key: String) -> JSONNode {
        let node = JSONNode()
        if case .object(var pairs) = value {
            pairs.append((key, node))
            value = .object(pairs)
        } else {
            value = .object([(key, node)])
        }
        return node
    }

    /// A new element of this array (made an array if it is not one yet).
    func element() -> JSONNode {
        let node = JSONNode()
        if case .array(var items) = value {
            items.append(node)
            value = .array(items)
        } else {
            value = .array([node])
        }
        return node
    }

    var count: Int {
        switch value {
        case .array(let items): return items.count
        case .object(let pairs): return pairs.count
        default: return 0
        }
    }
}

struct JSONTreeEncoder: Encoder {
    let node: JSONNode
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = node.value {} else { node.value = .object([]) }
        return KeyedEncodingContainer(JSONKeyedContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = node.value {} else { node.value = .array([]) }
        return JSONUnkeyedContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        JSONSingleValueContainer(node: node, codingPath: codingPath)
    }
}

struct JSONKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: JSONNode
    var codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { node.child(key.stringValue).value = .scalar("null") }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try node.child(key.stringValue).encode(value) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { try node.child(key.stringValue).encode(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { try node.child(key.stringValue).encode(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try node.child(key.stringValue).encode(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try node.child(key.stringValue).encode(Double(value)) }
    mutating func encode(_ value: Int, forKey key: Key) throws { try node.child(key.stringValue).encode(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try node.child(key.stringValue).encode(Int(value)) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try node.child(key.stringValue).encode(Int(value)) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try node.child(key.stringValue).encode(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try node.child(key.stringValue).encode(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try node.child(key.stringValue).encode(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try node.child(key.stringValue).encode(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try node.child(key.stringValue).encode(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try node.child(key.stringValue).encode(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try node.child(key.stringValue).encode(value) }

    // An absent optional is written as null, not left out (JSONLine's contract).
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try encodeIfPresent(value.map { $0 as Bool }, generic: key) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try encodeIfPresent(value, generic: key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try encodeIfPresent(value, generic: key) }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try encodeIfPresent(value.map(Double.init), generic: key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try encodeIfPresent(value, generic: key) }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try encodeIfPresent(value.map(Int.init), generic: key) }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try encodeIfPresent(value.map(Int.init), generic: key) }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try encodeIfPresent(value, generic: key) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try encodeIfPresent(value, generic: key) }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try encodeIfPresent(value, generic: key) }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try encodeIfPresent(value, generic: key) }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try encodeIfPresent(value, generic: key) }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try encodeIfPresent(value, generic: key) }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try encodeIfPresent(value, generic: key) }

    private mutating func encodeIfPresent<T: Encodable>(_ value: T?, generic key: Key) throws {
        if let value { try node.child(key.stringValue).encode(value) } else { try encodeNil(forKey: key) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let child = node.child(key.stringValue)
        child.value = .object([])
        return KeyedEncodingContainer(JSONKeyedContainer<NestedKey>(node: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = node.child(key.stringValue)
        child.value = .array([])
        return JSONUnkeyedContainer(node: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { JSONTreeEncoder(node: node.child("super"), codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { JSONTreeEncoder(node: node.child(key.stringValue), codingPath: codingPath + [key]) }
}

struct JSONUnkeyedContainer: UnkeyedEncodingContainer {
    let node: JSONNode
    var codingPath: [any CodingKey]
    var count: Int { node.count }

    mutating func encodeNil() throws { node.element().value = .scalar("null") }
    mutating func encode<T: Encodable>(_ value: T) throws { try node.element().encode(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let child = node.element()
        child.value = .object([])
        return KeyedEncodingContainer(JSONKeyedContainer<NestedKey>(node: child, codingPath: codingPath))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = node.element()
        child.value = .array([])
        return JSONUnkeyedContainer(node: child, codingPath: codingPath)
    }

    mutating func superEncoder() -> any Encoder { JSONTreeEncoder(node: node.element(), codingPath: codingPath) }
}

struct JSONSingleValueContainer: SingleValueEncodingContainer {
    let node: JSONNode
    var codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.value = .scalar("null") }
    mutating func encode<T: Encodable>(_ value: T) throws { try node.encode(value) }
}
