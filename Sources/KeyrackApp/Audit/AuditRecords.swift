import Foundation
import KeyrackDaemon

/// Reading an owner's access log for `keyrack audit`: the file's bytes (bounded, no symlink,
/// regular file only), and the records as dictionaries for display and filtering.
public enum AuditRecords {
    public struct Files: Sendable {
        /// The archived files (oldest first) and the current one, concatenated.
        public var log: [UInt8]
        public var anchor: [UInt8]?
        public var path: String
        /// Each file and its number of lines, to name a line of `log` by file and line.
        public var parts: [(path: String, lines: Int)] = []

        /// "FILE line N" for line `n` (1-based) of `log`.
        public func locate(_ n: Int) -> String {
            var rest = n
            for p in parts {
                if rest <= p.lines { return "\(p.path) line \(rest)" }
                rest -= p.lines
            }
            return "\(path) line \(n)"
        }
    }

    public static func read(home: String, owner: String) throws(AuditError) -> Files {
        let path = AuditLog.logPath(home: home, owner: owner)
        let current = try readFile(path)
        guard let current else { throw AuditError("no access log for '\(owner)' at \(path)", remedy: "it is written by the owner's daemon from its first start (keyrack unlock)") }
        let anchor = try readFile("\(home)/audit/\(owner).head")
        // Rotated files: <owner>.<12-digit last seq>.jsonl, in seq order.
        let dir = "\(home)/audit"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { name in
            guard name.hasPrefix(owner + "."), name.hasSuffix(".jsonl") else { return false }
            let middle = name.dropFirst(owner.count + 1).dropLast(6)
            return middle.count == 12 && middle.allSatisfy(\.isNumber)
        }.sorted()
        var log: [UInt8] = []
        var parts: [(String, Int)] = []
        for name in names {
            guard let bytes = try readFile("\(dir)/\(name)") else { continue }
            log += bytes
            parts.append(("\(dir)/\(name)", bytes.split(separator: 0x0a, omittingEmptySubsequences: false).count - (bytes.last == 0x0a ? 1 : 0)))
        }
        log += current
        parts.append((path, current.split(separator: 0x0a, omittingEmptySubsequences: false).count - (current.last == 0x0a ? 1 : 0)))
        var files = Files(log: log, anchor: anchor, path: path)
        files.parts = parts
        return files
    }

    static func readFile(_ path: String) throws(AuditError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)
        if fd < 0 {
            let e = errno
            if e == ENOENT { return nil }
            if e == ELOOP { throw AuditError("\(path) is a symbolic link", remedy: "remove it; keyrack does not follow links in KEYRACK_HOME") }
            throw AuditError("cannot open \(path): \(String(cString: strerror(e)))", remedy: "check its owner and mode")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw AuditError("\(path) is not a regular file (a FIFO or device)", remedy: "remove it")
        }
        var out = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = Foundation.read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }

    /// Each line parsed, with the requester of a daemon record resolved from its connection's
    /// `connect` record (`requester_seq`); lines that do not parse are skipped here (verify
    /// names them).
    public static func records(_ log: [UInt8]) -> [[String: Any]] {
        var parsed = log.split(separator: 0x0a).compactMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
        var requesters: [UInt64: Any] = [:]
        for r in parsed where r["event"] as? String == "connect" {
            if let seq = (r["seq"] as? NSNumber)?.uint64Value, let q = r["requester"] { requesters[seq] = q }
        }
        for i in parsed.indices {
            if parsed[i]["requester"] == nil, let ref = (parsed[i]["requester_seq"] as? NSNumber)?.uint64Value, let q = requesters[ref] {
                parsed[i]["requester"] = q
            }
        }
        return parsed
    }

    /// Records at or after `since` (their `time`), and naming `key` when given.
    public static func filter(_ records: [[String: Any]], since: Date?, key: String?) -> [[String: Any]] {
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return records.filter { r in
            if let since, let t = (r["time"] as? String).flatMap(parser.date(from:)), t < since { return false }
            if let key {
                if let slug = r["slug"] as? String { return slug == key || slug.hasSuffix("." + key) }
                let data = (try? JSONSerialization.data(withJSONObject: r["keys"] ?? r["slugs"] ?? [])) ?? Data()
                if !String(decoding: data, as: UTF8.self).contains(key) { return false }
            }
            return true
        }
    }

    /// One line per record for people: time, event, what, who.
    public static func describe(_ r: [String: Any]) -> String {
        let time = r["time"] as? String ?? "?"
        let event = r["event"] as? String ?? "?"
        var what = ""
        if event == "card-checkpoint", r["slot"] as? String == "tpm" {
            what = "record \(r["covers_seq"].map { "\($0)" } ?? "?") signed by the TPM"
        } else if event == "card-checkpoint" {
            what = "record \(r["covers_seq"].map { "\($0)" } ?? "?") signed by YubiKey \(r["serial"].map { "\($0)" } ?? "?") slot \(r["slot"] as? String ?? "?")"
        } else if let keys = r["keys"] as? [[String: Any]] {
            what = keys.map { k in
                let name = (k["slug"] as? String) ?? (k["key"] as? String) ?? "?"
                if let result = k["result"] as? String { return "\(name) \(result)" }
                if let ttl = k["ttl_seconds"] as? NSNumber { return "\(name) \(ttl)s" }
                return name
            }.joined(separator: ", ")
        } else if let slug = r["slug"] as? String {
            what = [slug, r["vault"] as? String, r["effect"] as? String].compactMap { $0 }.joined(separator: " ")
        } else if let slugs = r["slugs"] as? [String] {
            what = slugs.joined(separator: ", ")
        } else if let reason = r["reason"] as? String {
            what = reason
        } else if let files = r["files"] as? NSNumber {
            what = "\(files) file(s)"
        }
        var who = ""
        if let q = r["requester"] as? [String: Any] {
            let exe = (q["exe"] as? String) ?? (q["comm"] as? String) ?? "?"
            who = "pid \(q["pid"].map { "\($0)" } ?? "?") \(exe)"
            if let c = q["command"] as? String { who += " \(c)" }
            if let p = q["parent"] as? [String: Any] {
                who += " ← \((p["exe"] as? String) ?? (p["argv0"] as? String) ?? "?") (pid \(p["pid"].map { "\($0)" } ?? "?"))"
            }
            if let s = q["sandbox"] as? String, s != "host" { who += " [\(s)]" }
        }
        return [time, event, what, who].filter { !$0.isEmpty }.joined(separator: "  ")
    }
}
