import ArgumentParser
import KeyrackApp
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
            throw failure(CommandFailure("daemon of '\(options.owner)': pid \(pid) is running, but its socket \(client.socketPath) was removed, so no client can reach it: stop it with \(fix: "keyrack daemon stop\(Fix.ownerFlag(options.owner))")"))
        } catch DaemonError.noDaemon {
            throw failure(NotGranted(message: "no daemon is running for '\(options.owner)' (socket \(client.socketPath))", code: "locked", fix: nil))
        }
        if options.json {
            JSONLine.print(DaemonStatusJSON(status, socket: client.socketPath))
        } else {
            Output.line("daemon of '\(status.owner)': pid \(status.pid), socket \(client.socketPath), admits uid \(status.allowedUID), \(status.grants.count) grant(s)")
        }
    }

    /// A daemon that does not answer: with --json the error object every command fails with
    /// (ErrorReport, from keyrack's main), else its line on stdout; the same exit code either way.
    private func failure(_ error: any CLIReportable) -> any Error {
        guard !options.json else { return error }
        Output.line(String(error.cliMessage.dropFirst("error: ".count)))
        return ExitCode(error.exitCode)
    }
}
