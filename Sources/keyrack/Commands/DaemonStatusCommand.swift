import ArgumentParser
import KeyrackDaemon
import KeyrackClient

/// `keyrack daemon status`: whether the owner's daemon runs, its pid, socket and grant count.
/// Exit 0 when it runs, 3 when it does not (the owner is locked).
struct DaemonStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show whether an owner's daemon is running (exit 3 when it is not)."
    )

    @OptionGroup var options: OwnerOptions

    func run() throws {
        let client = DaemonClient(owner: options.owner)
        let status: DaemonStatus
        do {
            guard case .status(let s) = try client.send(.status) else {
                throw DaemonError.malformed("the daemon answered STATUS with something else")
            }
            status = s
        } catch DaemonError.orphaned(_, let pid) {
            if options.json {
                Output.line("{\"owner\":\(TextFormat.json(options.owner)),\"running\":true,\"orphaned\":true,\"pid\":\(pid),\"socket\":\(TextFormat.json(client.socketPath))}")
            } else {
                Output.line("daemon of '\(options.owner)': pid \(pid) is running, but its socket \(client.socketPath) was removed, so no client can reach it: stop it with `keyrack daemon stop\(Fix.ownerFlag(options.owner))`")
            }
            throw ExitCode(ExitStatus.failure)
        } catch DaemonError.noDaemon {
            if options.json {
                Output.line("{\"owner\":\(TextFormat.json(options.owner)),\"running\":false,\"socket\":\(TextFormat.json(client.socketPath))}")
            } else {
                Output.line("no daemon is running for '\(options.owner)' (socket \(client.socketPath))")
            }
            throw ExitCode(ExitStatus.notGranted)
        }
        if options.json {
            Output.line("{\"owner\":\(TextFormat.json(status.owner)),\"running\":true,\"pid\":\(status.pid),\"socket\":\(TextFormat.json(client.socketPath)),\"allowedUid\":\(status.allowedUID),\"grants\":\(status.grants.count)}")
        } else {
            Output.line("daemon of '\(status.owner)': pid \(status.pid), socket \(client.socketPath), admits uid \(status.allowedUID), \(status.grants.count) grant(s)")
        }
    }
}
