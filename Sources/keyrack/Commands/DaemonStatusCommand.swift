import ArgumentParser
import KeyrackApp
import KeyrackClient
import KeyrackDaemon
import KeyrackPresentation

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
        let daemon = try OwnerStatus.daemon(owner: options.owner)
        if let error = daemon.failure(owner: options.owner, socket: socket) { throw failure(error) }
        guard case .running(let status) = daemon else { return }
        options.answer(DaemonStatusJSON(status, socket: socket)) { Output.line(status.line(socket: socket)) }
    }

    /// A daemon that does not answer: with --json the error object every command fails with
    /// (ErrorReport, from keyrack's main), else its line on stdout; the same exit code either way.
    private func failure(_ error: any CLIReportable) -> any Error {
        guard !options.json else { return error }
        Output.line(String(error.cliMessage.dropFirst("error: ".count)))
        return ExitCode(error.exitCode)
    }
}
