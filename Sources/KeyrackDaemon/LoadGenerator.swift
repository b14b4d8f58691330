#if canImport(Glibc)
import Glibc
#endif
import Locking

/// Drives a daemon with `clients` concurrent connections, each sending GETs back to back for
/// `milliseconds`, for `keyrack daemon bench`. Lives here because it needs the module's
/// threads; it is measurement, not a test (speed is never asserted in tests).
public enum LoadGenerator {
    public struct Result: Sendable {
        public var clients: Int
        public var requests: Int
        public var failures: Int
        public var milliseconds: UInt64
        /// CPU time (user + system) the daemon spent during the run, when its pid was given: on
        /// a machine shared with other work, what a GET costs the server when wall time cannot say.
        public var serverCPUMilliseconds: UInt64?
        public var perSecond: Double { milliseconds == 0 ? 0 : Double(requests) * 1000 / Double(milliseconds) }
    }

    public static func run(_ client: DaemonClient, clients: Int, milliseconds: UInt64, query: Query, serverPID: Int32? = nil) -> Result {
        let counts = Locked((requests: 0, failures: 0, finished: 0))
        let cpuBefore = serverPID.flatMap(cpuMilliseconds)
        let start = Clock.bootMilliseconds()
        let end = start + milliseconds
        for _ in 0..<clients {
            let started = Threads.detach {
                var ok = 0, bad = 0
                if let connection = try? client.connect() {
                    while Clock.bootMilliseconds() < end {
                        if case .got(let r)? = try? connection.send(.get([query])), case .granted = r.first { ok += 1 } else { bad += 1; break }
                    }
                } else { bad += 1 }
                counts.withLock { $0.requests += ok; $0.failures += bad; $0.finished += 1 }
            }
            if !started { counts.withLock { $0.failures += 1; $0.finished += 1 } }
        }
        while counts.withLock({ $0.finished }) < clients { usleep(2_000) }
        let elapsed = Clock.bootMilliseconds() - start
        let c = counts.withLock { $0 }
        var cpu: UInt64?
        if let before = cpuBefore, let after = serverPID.flatMap(cpuMilliseconds), after >= before { cpu = after - before }
        return Result(clients: clients, requests: c.requests, failures: c.failures, milliseconds: elapsed, serverCPUMilliseconds: cpu)
    }

    /// utime + stime of `pid` from /proc/PID/stat, in milliseconds.
    static func cpuMilliseconds(_ pid: Int32) -> UInt64? {
        guard let text = ProcInfo.text("/proc/\(pid)/stat", limit: 4096), let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
        let ticks = UInt64(max(1, sysconf(Int32(_SC_CLK_TCK))))
        return (user + system) * 1000 / ticks
    }
}
