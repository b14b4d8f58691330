#if canImport(Glibc)
import Glibc
#endif

/// Drives a daemon with `clients` concurrent connections, each sending GETs back to back for
/// `milliseconds`, for `keyrack daemon bench`. Lives here because it needs the module's
/// threads; it is measurement, not a test (speed is never asserted in tests).
public enum LoadGenerator {
    public struct Result: Sendable {
        public var clients: Int
        public var requests: Int
        public var failures: Int
        public var milliseconds: UInt64
        public var perSecond: Double { milliseconds == 0 ? 0 : Double(requests) * 1000 / Double(milliseconds) }
    }

    public static func run(_ client: DaemonClient, clients: Int, milliseconds: UInt64, query: Query) -> Result {
        let counts = Locked((requests: 0, failures: 0, finished: 0))
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
        return Result(clients: clients, requests: c.requests, failures: c.failures, milliseconds: elapsed)
    }
}
