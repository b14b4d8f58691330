import ArgumentParser
import KeyrackApp
import KeyrackClient

/// `keyrack daemon bench` (hidden): KeyrackApp's DaemonBench. `--seed` puts the synthetic grant;
/// without it, GET throughput with `--clients` connections (`--without-audit-log`: of a reference
/// server that keeps no access log).
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
        if seed { return try DaemonBench.seed(owner: options.owner) }
        if let directory = serveWithoutAuditLog {
            return try DaemonBench.serveReference(directory: directory, owner: options.owner, milliseconds: milliseconds)
        }
        let result = try DaemonBench.measure(owner: options.owner, clients: clients, milliseconds: milliseconds, withoutAuditLog: withoutAuditLog)
        JSONLine.print(result)
        if result.failures > 0 { throw ExitCode(ExitStatus.failure) }
    }
}
