import Foundation
import KeyrackDaemon
#if canImport(Glibc)
import Glibc
#endif

/// What `status` shows of the keycard proxies running for an owner (issue 27): one small JSON
/// file per run beside the owner's daemon socket (`proxy.OWNER.PID.json`, 0600, in the private
/// runtime directory), rewritten when the run puts a value in, removed when it ends. Names,
/// destinations and counts only, never a value or a placeholder.
public struct ProxyRecord: Codable, Equatable, Sendable {
    public struct Key: Codable, Equatable, Sendable {
        public var name: String
        public var sendTo: [String]
    }

    public var pid: Int32
    public var port: Int
    public var keys: [Key]
    public var substitutions: Int
}

public enum ProxyRecords {
    static func path(owner: String, pid: Int32) -> String {
        (DaemonClient(owner: owner).socketPath as NSString).deletingLastPathComponent + "/proxy.\(owner).\(pid).json"
    }

    /// Best effort: a run whose runtime directory is absent (inside a sandbox) simply shows nowhere.
    static func write(_ record: ProxyRecord, owner: String) {
        let target = path(owner: owner, pid: record.pid)
        guard let data = try? JSONEncoder().encode(record) else { return }
        let temp = target + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let written = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        if written == data.count { rename(temp, target) } else { unlink(temp) }
    }

    static func remove(owner: String, pid: Int32) { unlink(path(owner: owner, pid: pid)) }

    /// The proxies of `owner` whose run is still alive (a record left by a killed run is removed).
    public static func running(owner: String) -> [ProxyRecord] {
        let dir = (DaemonClient(owner: owner).socketPath as NSString).deletingLastPathComponent
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        return names.filter { $0.hasPrefix("proxy.\(owner).") && $0.hasSuffix(".json") }.sorted().compactMap { name in
            let file = dir + "/" + name
            guard let data = FileManager.default.contents(atPath: file), data.count < 1 << 20,
                  let record = try? JSONDecoder().decode(ProxyRecord.self, from: data) else { return nil }
            guard kill(record.pid, 0) == 0 || errno == EPERM else { unlink(file); return nil }
            return record
        }
    }
}
