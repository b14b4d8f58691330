import KeyrackApp
import KeyrackClient

/// A program that could not be started: exit 127 (not found) or 126, as a shell says.
extension ChildProcessError: CLIReportable {
    public var cliMessage: String { "error: \(message)" }
}
