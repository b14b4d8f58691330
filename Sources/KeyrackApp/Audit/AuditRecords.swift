import Foundation
import KeyrackDaemon

/// Reading an owner's access log for `keyrack audit`: the file's bytes (bounded, no symlink,
/// regular file only), as `audit show` (AuditShow) and `audit verify` (AuditVerifier) read them.
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
        guard let current else { throw AuditError("no access log for '\(owner)' at \(path)", remedy: "it is written by the owner's daemon from its first start (an unlock starts it)") }
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
}
