import Foundation
import KeyrackClient

extension JSONValue {
    /// The value of a dictionary, array or scalar as Foundation holds them (JSONSerialization's
    /// output, `[String: Any]` literals). A boxed boolean stays a boolean, not 0 or 1.
    public init(any value: Any) {
        // Strings and containers first, the most of a record: each cast that misses (to NSNumber
        // above all) goes through Foundation's bridging and costs more than the value itself.
        if let s = value as? String { self = .string(s); return }
        if let o = value as? [String: Any] { self = .object(o.mapValues(JSONValue.init(any:))); return }
        if let a = value as? [Any] { self = .array(a.map(JSONValue.init(any:))); return }
        if let n = value as? NSNumber, type(of: value) is NSNumber.Type {
            switch String(cString: n.objCType) {
            case "c", "B": self = .bool(n.boolValue)
            case "d", "f": self = .double(n.doubleValue)
            default: self = .int(n.int64Value)
            }
            return
        }
        switch value {
        case is NSNull: self = .null
        case let b as Bool: self = .bool(b)
        case let s as String: self = .string(s)
        case let n as Int: self = .int(Int64(n))
        case let n as Int32: self = .int(Int64(n))
        case let n as Int64: self = .int(n)
        case let n as UInt32: self = .int(Int64(n))
        case let n as UInt64: self = .int(Int64(clamping: n))
        case let d as Double: self = .double(d)
        case let a as [Any]: self = .array(a.map(JSONValue.init(any:)))
        case let o as [String: Any]: self = .object(o.mapValues(JSONValue.init(any:)))
        default:
            // An Optional boxed in Any: nil is null, a value is that value.
            let mirror = Mirror(reflecting: value)
            if mirror.displayStyle == .optional {
                self = mirror.children.first.map { JSONValue(any: $0.value) } ?? .null
            } else {
                self = .string(String(describing: value))
            }
        }
    }
}
