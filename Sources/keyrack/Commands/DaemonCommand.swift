import ArgumentParser

/// `keyrack daemon …`: run, stop and inspect an owner's daemon by hand. `unlock` starts one on
/// demand, so most users never need these.
struct DaemonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run, stop or inspect an owner's daemon (unlock starts it on demand).",
        subcommands: [DaemonRunCommand.self, DaemonStopCommand.self, DaemonPruneCommand.self, DaemonStatusCommand.self, DaemonBenchCommand.self]
    )
}
