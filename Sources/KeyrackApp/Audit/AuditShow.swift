import Foundation
import KeyrackClient

/// `keyrack audit show`: the owner's access log, one record per line, for people or `--json`.
public enum AuditShow {
    /// Which records: those of the last `sinceSeconds` (their `time`), and those naming `key`.
    public struct Filter: Equatable, Sendable {
        public var sinceSeconds: Int?
        public var key: String?
        public init(sinceSeconds: Int? = nil, key: String? = nil) { (self.sinceSeconds, self.key) = (sinceSeconds, key) }
    }

    /// The records of `files` that `filter` keeps, `now` being when the command runs.
    public static func records(_ files: AuditRecords.Files, filter: Filter, now: Date = Date()) -> [AuditRecordJSON] {
        let since = filter.sinceSeconds.map { now.addingTimeInterval(-Double($0)) }
        return Self.filter(parse(files.log), since: since, key: filter.key)
    }

    /// Each line parsed, with the requester of a daemon record resolved from its connection's
    /// `connect` record (`requester_seq`); lines that do not parse are skipped here (verify
    /// names them).
    public static func parse(_ log: [UInt8]) -> [AuditRecordJSON] {
        // JSONSerialization, not a Decodable JSONValue: a log of 100k records is read in a third
        // of the time (a Decodable miss per value kind costs a thrown error).
        var parsed = log.split(separator: 0x0a).compactMap { line -> AuditRecordJSON? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { return nil }
            return AuditRecordJSON(fields: object.mapValues(JSONValue.init(any:)))
        }
        var requesters: [Int64: JSONValue] = [:]
        for r in parsed where r["event"]?.string == "connect" {
            if let seq = r["seq"]?.integer, let q = r["requester"] { requesters[seq] = q }
        }
        for i in parsed.indices {
            if parsed[i]["requester"] == nil, let ref = parsed[i]["requester_seq"]?.integer, let q = requesters[ref] {
                parsed[i].fields["requester"] = q
            }
        }
        return parsed
    }

    /// Records at or after `since` (their `time`), and naming `key` when given.
    static func filter(_ records: [AuditRecordJSON], since: Date?, key: String?) -> [AuditRecordJSON] {
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return records.filter { r in
            if let since, let t = r["time"]?.string.flatMap(parser.date(from:)), t < since { return false }
            if let key {
                if let slug = r["slug"]?.string { return slug == key || slug.hasSuffix("." + key) }
                if !JSONLine.encode(r["keys"] ?? r["slugs"] ?? .array([])).contains(key) { return false }
            }
            return true
        }
    }

    /// One line per record for people: time, event, what, who.
    public static func describe(_ r: AuditRecordJSON) -> String {
        let time = r["time"]?.string ?? "?"
        let event = r["event"]?.string ?? "?"
        var what = ""
        if event == "card-checkpoint", r["slot"]?.string == "tpm" {
            what = "record \(r["covers_seq"]?.shown ?? "?") signed by the TPM"
        } else if event == "card-checkpoint" {
            what = "record \(r["covers_seq"]?.shown ?? "?") signed by YubiKey \(r["serial"]?.shown ?? "?") slot \(r["slot"]?.string ?? "?")"
        } else if case .array(let items)? = r["keys"], let keys = objects(items) {
            what = keys.map { k in
                let name = k["slug"]?.string ?? k["key"]?.string ?? "?"
                if let result = k["result"]?.string { return "\(name) \(result)" }
                if let ttl = k["ttl_seconds"], ttl.isNumber { return "\(name) \(ttl.shown)s" }
                return name
            }.joined(separator: ", ")
        } else if let slug = r["slug"]?.string {
            what = [slug, r["vault"]?.string, r["effect"]?.string].compactMap { $0 }.joined(separator: " ")
        } else if case .array(let items)? = r["slugs"], let slugs = strings(items) {
            what = slugs.joined(separator: ", ")
        } else if let reason = r["reason"]?.string {
            what = reason
        } else if let files = r["files"], files.isNumber {
            what = "\(files.shown) file(s)"
        }
        var who = ""
        if case .object(let q)? = r["requester"] {
            let exe = q["exe"]?.string ?? q["comm"]?.string ?? "?"
            who = "pid \(q["pid"]?.shown ?? "?") \(exe)"
            if let c = q["command"]?.string { who += " \(c)" }
            if case .object(let p)? = q["parent"] {
                who += " ← \(p["exe"]?.string ?? p["argv0"]?.string ?? "?") (pid \(p["pid"]?.shown ?? "?"))"
            }
            if let s = q["sandbox"]?.string, s != "host" { who += " [\(s)]" }
        }
        return [time, event, what, who].filter { !$0.isEmpty }.joined(separator: "  ")
    }

    /// The items when all are objects (as `keys` of a get), else nil.
    private static func objects(_ items: [JSONValue]) -> [[String: JSONValue]]? {
        let all = items.compactMap { if case .object(let o) = $0 { return o } else { return nil } }
        return all.count == items.count ? all : nil
    }

    /// The items when all are strings (as `slugs`), else nil.
    private static func strings(_ items: [JSONValue]) -> [String]? {
        let all = items.compactMap(\.string)
        return all.count == items.count ? all : nil
    }
}

extension JSONValue {
    var isNumber: Bool {
        switch self {
        case .int, .double: return true
        default: return false
        }
    }
}
