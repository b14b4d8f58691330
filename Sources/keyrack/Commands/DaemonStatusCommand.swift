import ArgumentParser
import KeyrackApp
import KeyrackClient
import KeyrackDaemon

/// `keyrack daemon status`: whether the owner's daemon runs, its pid, socket and grant count.
/// Exit 0 when it runs, 3 when it does not (the owner is locked).
struct DaemonStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show whether an owner's daemon is running (exit 3 when it is not)."
    )

    @OptionGroup var options: OwnerOptions

    func run() throws {
        let socket = DaemonClient(owner: options.owner).socketPath
        switch try OwnerStatus.daemon(owner: options.owner) {
        case .orphaned(let pid):
            throw failure(CommandFailure("daemon of '\(options.owner)': pid \(pid) is running, but its socket \(socket) was removed, so no client can reach it: stop it with \(fix: "keyrack daemon stop\(Fix.ownerFlag(options.owner))")"))
        case .none:
            throw failure(NotGranted(message: "no daemon is running for '\(options.owner)' (socket \(socket))", code: "locked", fix: nil))
        case .running(let status) where options.json:
            JSONLine.print(DaemonStatusJSON(status, socket: socket))
        case .running(let status):
            Output.line("daemon of '\(status.owner)': pid \(status.pid), socket \(socket), admits uid \(status.allowedUID), \(status.grants.count) grant(s)")
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
