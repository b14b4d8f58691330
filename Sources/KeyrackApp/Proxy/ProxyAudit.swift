import KeyrackDaemon
import KeyrackProxy
import Locking

/// The keycard proxy's records in the owner's access log (issue 31): before a request that
/// carries values leaves, the owner's daemon, the log's one writer, is told where they go, how
/// many, and which keys (names only) — one record per request. The record is written before
/// the daemon answers, so a value on the wire always has its record; when it cannot be written
/// (no daemon, a log that refuses) the request is not sent.
///
/// One connection is kept for the run (a fresh one per request would add a `connect` record
/// each time); the daemon closes it after its idle timeout, and it is then opened again once.
/// One request at a time on it: the lock is held for the whole exchange.
final class ProxyAudit: Sendable {
    private let owner: String
    private let connection = Locked<DaemonConnection?>(nil)

    init(owner: String) {
        self.owner = owner
    }

    /// nil once recorded; else why not (one clause, for the program's 503 answer).
    func record(_ s: KeycardProxy.Substitution) -> String? {
        let request = Request.auditProxy(ProxySubstitution(host: s.host, port: UInt16(clamping: s.port), substitutions: s.count, keys: s.keys))
        return connection.withLock { connection in
            var lastError: Error?
            for attempt in 0..<2 {
                do {
                    if connection == nil || attempt > 0 { connection = try DaemonClient(owner: owner).connect() }
                    guard case .sandboxAccepted = try connection!.send(request) else {
                        connection = nil
                        return "the daemon of '\(owner)' did not take the access log record"
                    }
                    return nil
                } catch DaemonError.protocolError(let code, let message) where code != .timeout {
                    // The daemon answered and refused (its log cannot be written): no retry.
                    connection = nil
                    return "the access log of '\(owner)' did not take the record (\(message))"
                } catch {
                    connection = nil
                    lastError = error
                }
            }
            return "the daemon of '\(owner)' could not record the request (\(lastError.map { "\($0)" } ?? "no answer"))"
        }
    }
}
