// The exit codes (ExitStatus), the shared error types (UsageError, CommandFailure, NotGranted)
// and Terminal live in KeyrackClient, Foundation-free, because the `keyrack` front end reports
// `get` failures with them too. Re-exported here so every command file sees them as before.
@_exported import KeyrackClient

/// An error the CLI knows how to report: one line that says what went wrong and what to do
/// next, and the exit code of its class. Each module's errors conform in the CLI (in the file of
/// the command family that owns them), so the modules stay free of CLI concerns.
protocol CLIReportable: Error {
    var cliMessage: String { get }
    var exitCode: Int32 { get }
    /// The word `--json` reports it by (the table of docs/cli.md).
    var errorCode: String { get }
}

extension CLIReportable {
    var errorCode: String { ErrorReport.code(forExit: exitCode) }
}

extension UsageError: CLIReportable {}
extension CommandFailure: CLIReportable {}
extension NotGranted: CLIReportable {}
