#if canImport(Glibc)
import Glibc
#endif
import KeyrackNames

/// What a stopping daemon wiped, written into its own pid file just before it exits:
///
///     4242
///     relocked acme.test.API
///     identity-agent
///
/// A daemon that lost its socket can only be stopped by signal, and then nobody can ask it what
/// it held; the client that signals it opens the pid file first, waits for the lock, and reads
/// this through that descriptor (the file itself is unlinked by then). Key names only, never a
/// value; the file is 0600 in the 0700 runtime directory.
public struct DaemonExitReport: Equatable {
    public var pid: pid_t
    public var relocked: [Slug]
    public var identityAgent: Bool

    public init(pid: pid_t, relocked: [Slug], identityAgent: Bool) {
        (self.pid, self.relocked, self.identityAgent) = (pid, relocked, identityAgent)
    }

    var text: String {
        "\(pid)\n" + relocked.map { "relocked \($0)\n" }.joined() + (identityAgent ? "identity-agent\n" : "")
    }

    /// Replaces the pid file's contents (the pid line stays first).
    func write(to fd: Int32) {
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(done)) }
            if n > 0 { done += n } else if errno != EINTR { return }
        }
        ftruncate(fd, off_t(bytes.count))
    }

    /// The report in `fd` (at most 8 MiB), or nil when it holds only a pid: a daemon that died
    /// without stopping (SIGKILL) wiped nothing it could report.
    static func read(from fd: Int32) -> DaemonExitReport? {
        var bytes: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 65536)
        while bytes.count < 8 << 20 {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, off_t(bytes.count)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        guard let first = lines.first, let pid = pid_t(first), lines.count > 1 || bytes.last == 10 else { return nil }
        var report = DaemonExitReport(pid: pid, relocked: [], identityAgent: false)
        for line in lines.dropFirst() {
            if line == "identity-agent" { report.identityAgent = true }
            else if line.hasPrefix("relocked "), let slug = Slug(parsing: String(line.dropFirst("relocked ".count))) { report.relocked.append(slug) }
        }
        return report
    }
}
