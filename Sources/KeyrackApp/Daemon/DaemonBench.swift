import KeyrackClient
import KeyrackDaemon
import KeyrackNames

/// `keyrack daemon bench`, the measurements scripts/bench reports: one synthetic grant in the
/// owner's daemon (so `keyrack get` can be timed without a manifest), and GET throughput against
/// it, of the owner's daemon or of a reference server of this run alone that keeps no access log
/// (UnloggedReference), so the log's cost is measured in the same run.
public enum DaemonBench {
    /// The synthetic grant's slug.
    public static let slug = Slug(org: "bench", env: "test", key: "BENCH_KEY")!

    /// Starts the owner's daemon and puts the synthetic grant: 40 random lowercase letters, an hour.
    public static func seed(owner: String, daemon: any OwnerDaemonPort = LiveDaemonPort()) throws {
        _ = try daemon.start(owner: owner, pinnedUID: nil)
        let value = (0..<40).map { _ in UInt8(ascii: "a") + UInt8.random(in: 0..<26) }
        _ = try daemon.unlock(owner: owner, [GrantRequest(slug: slug, vault: "os.daemon", ttlMilliseconds: 3_600_000, value: value)], catalog: nil)
    }

    /// `clients` concurrent connections asking for the synthetic grant for `milliseconds`.
    public static func measure(owner: String, clients: Int, milliseconds: UInt64, withoutAuditLog: Bool) throws -> BenchJSON {
        let client = DaemonClient(owner: owner)
        let r = withoutAuditLog
            ? try UnloggedReference.measure(executable: DaemonLauncher.currentExecutable(), owner: owner, clients: clients, milliseconds: milliseconds)
            : LoadGenerator.run(client, clients: clients, milliseconds: milliseconds, query: Query(key: slug.description), serverPID: pid(client))
        return BenchJSON(clients: r.clients, requests: r.requests, failures: r.failures, milliseconds: Int(r.milliseconds), perSecond: Int(r.perSecond),
                         serverCPUMilliseconds: r.serverCPUMilliseconds.map { Int($0) })
    }

    /// The reference server `measure` starts (in a child of its own), serving from `directory`.
    public static func serveReference(directory: String, owner: String, milliseconds: UInt64) throws {
        try UnloggedReference.serve(directory: directory, owner: owner, milliseconds: milliseconds)
    }

    /// The daemon's pid, to read its CPU time around the run.
    private static func pid(_ client: DaemonClient) -> Int32? {
        guard case .pong(let pid, _)? = try? client.send(.ping) else { return nil }
        return pid
    }
}
