import KeyrackClient

/// One record of `audit show --json`: the line as the owner's daemon wrote it (its fields vary
/// by event: docs/audit.md), with `requester` filled in from the connection's `connect` record
/// when the daemon named it by `requester_seq`. Encoded by JSONLine as every answer is (keys
/// sorted, one line).
public struct AuditRecordJSON: Encodable, Equatable {
    public var fields: [String: JSONValue]

    public init(fields: [String: JSONValue]) { self.fields = fields }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(fields)
    }

    public subscript(_ name: String) -> JSONValue? { fields[name] }
}

extension JSONValue {
    /// The string, or nil for any other kind.
    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    /// The integer, or nil for any other kind.
    public var integer: Int64? { if case .int(let n) = self { return n } else { return nil } }
    /// A scalar as a person reads it: a string bare, a number in digits.
    var shown: String {
        switch self {
        case .string(let s): return s
        case .int(let n): return String(n)
        case .double(let d): return d.description
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array, .object: return JSONLine.encode(self)
        }
    }
}
