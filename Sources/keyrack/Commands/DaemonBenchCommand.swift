import KeyrackApp
import ArgumentParser
import KeyrackDaemon
#if canImport(Glibc)
import Glibc
import KeyrackNames
import KeyrackClient
#endif

/// `keyrack daemon bench` (hidden): the measurements scripts/bench reports. `--seed` starts the
/// owner's daemon and puts one synthetic grant (`bench.test.BENCH_KEY`, a random value), so
/// `keyrack get` can be timed without a manifest; without it, GET throughput is measured with
/// `--clients` concurrent connections against that grant; with `--without-audit-log`, against a
/// reference server of this run alone that keeps no access log (UnloggedReference), so the log's
/// cost is measured in the same run.
struct DaemonBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure an owner's daemon (for scripts/bench).",
        shouldDisplay: false
    )

    @OptionGroup var options: OwnerOptions

    @Flag(help: "Start the daemon and put the synthetic grant, then exit.")
    var seed = false

    @Option(help: "Concurrent client connections.")
    var clients: Int = 1

    @Option(help: "Measurement time in milliseconds.")
    var milliseconds: UInt64 = 2000

    @Flag(help: "Measure the same server with no access log instead (a reference daemon of this run alone, on a private socket).")
    var withoutAuditLog = false

    @Option(help: .hidden)
    var serveWithoutAuditLog: String?

    func run() throws {
        let client = DaemonClient(owner: options.owner)
        if seed {
            _ = try DaemonLauncher.ensureRunning(client, executable: DaemonLauncher.currentExecutable(),
                                                 arguments: DaemonStart.arguments(owner: options.owner, pinnedUID: nil))
            var value = [UInt8](repeating: 0, count: 40)
            for i in value.indices { value[i] = UInt8(ascii: "a") + UInt8.random(in: 0..<26) }
            _ = try client.send(.unlock([GrantRequest(slug: Slug(org: "bench", env: "test", key: "BENCH_KEY")!, vault: "os.daemon", ttlMilliseconds: 3_600_000, value: value)], catalog: nil), peerUIDs: [getuid()])
            return
        }
        if let directory = serveWithoutAuditLog {
            return try UnloggedReference.serve(directory: directory, owner: options.owner, milliseconds: milliseconds)
        }
        let r = withoutAuditLog
            ? try UnloggedReference.measure(executable: DaemonLauncher.currentExecutable(), owner: options.owner, clients: clients, milliseconds: milliseconds)
            : LoadGenerator.run(client, clients: clients, milliseconds: milliseconds, query: Query(key: "bench.test.BENCH_KEY"), serverPID: daemonPID(client))
        let cpu = r.serverCPUMilliseconds.map { ",\"serverCPUMilliseconds\":\($0)" } ?? ""
        Output.line("{\"clients\":\(r.clients),\"requests\":\(r.requests),\"failures\":\(r.failures),\"milliseconds\":\(r.milliseconds),\"perSecond\":\(Int(r.perSecond))\(cpu)}")
        if r.failures > 0 { throw ExitCode(ExitStatus.failure) }
    }

    /// The daemon's pid, to read its CPU time around the run.
    private func daemonPID(_ client: DaemonClient) -> Int32? {
        guard case .pong(let pid, _)? = try? client.send(.ping) else { return nil }
        return pid
    }
}
