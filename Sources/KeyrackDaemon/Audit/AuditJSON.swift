#if canImport(Glibc)
import Glibc
#endif
import Locking

/// One record's fields, written as a single JSON object line in the order they were added.
///
/// Why a hand-written writer: the daemon is Foundation-free (it starts in milliseconds and its
/// memory is kept small and locked), and a record needs only strings, integers, booleans and
/// nested objects. A fixed field order also makes records easy to read with grep and lets the
/// log's tail be parsed without a JSON library (`{"seq":N,` always comes first).
public struct AuditFields: Sendable {
    public private(set) var text = ""

    /// Room for a typical record's fields at once (a GET's are ~150 bytes): growing a String
    /// from empty reallocates it four times.
    public init() { text.reserveCapacity(160) }

    public mutating func add(_ name: String, _ value: String) { key(name); AuditFields.quote(value, into: &text) }
    public mutating func add(_ name: String, _ value: Int) { key(name); text += String(value) }
    public mutating func add(_ name: String, _ value: UInt64) { key(name); text += String(value) }
    public mutating func add(_ name: String, _ value: Bool) { key(name); text += value ? "true" : "false" }
    public mutating func add(_ name: String, _ value: String?) {
        if let value { add(name, value) }
    }
    public mutating func add(_ name: String, strings: [String]) {
        key(name)
        text += "["
        for (i, s) in strings.enumerated() { if i > 0 { text += "," }; AuditFields.quote(s, into: &text) }
        text += "]"
    }
    public mutating func add(_ name: String, objects: [AuditFields]) {
        key(name)
        text += "["
        for (i, o) in objects.enumerated() {
            if i > 0 { text += "," }
            text += "{"; text += o.text; text += "}"
        }
        text += "]"
    }
    /// A value already written as JSON (a long list built in one string).
    public mutating func add(_ name: String, json: String) { key(name); text += json }
    /// A nested object (the requester, already encoded once per connection).
    public mutating func add(_ name: String, object: AuditFields) { key(name); text += object.object }

    /// `{…}`
    public var object: String { "{" + text + "}" }

    private mutating func key(_ name: String) {
        if !text.isEmpty { text += "," }
        AuditFields.quote(name, into: &text)
        text += ":"
    }

    /// `quote`, appended as bytes (a record's event name: plain ASCII, one scan and a copy).
    static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f && $0 != 0x22 && $0 != 0x5c }) {
            out.append(0x22)
            out.append(contentsOf: s.utf8)
            out.append(0x22)
            return
        }
        var quoted = ""
        quote(s, into: &quoted)
        out.append(contentsOf: quoted.utf8)
    }

    /// The one escaper (JSONString), shared with every `--json` answer.
    static func quote(_ s: String, into out: inout String) { JSONString.quote(s, into: &out) }
}

/// Wall-clock time as the log writes it: UTC, millisecond precision, RFC 3339.
public enum AuditTime {
    /// The "YYYY-MM-DDTHH:MM:SS." of the last second formatted: most records of a busy daemon
    /// fall in the same second, and gmtime_r plus the padding cost more than the rest of a record.
    nonisolated(unsafe) private static var cache: (second: UInt64, prefix: String) = (UInt64.max, "")
    private static let cacheLock = Locked(())

    public static func stamp(milliseconds ms: UInt64 = Clock.wallMilliseconds()) -> String {
        let second = ms / 1000
        let prefix: String = cacheLock.withLock { _ in
            if cache.second == second { return cache.prefix }
            let p = formatSecond(second)
            cache = (second, p)
            return p
        }
        let milli = String(ms % 1000)
        return prefix + String(repeating: "0", count: 3 - milli.count) + milli + "Z"
    }

    static func formatSecond(_ second: UInt64) -> String {
        var t = time_t(second)
        var tm = tm()
        gmtime_r(&t, &tm)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))T\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2))."
    }
}
