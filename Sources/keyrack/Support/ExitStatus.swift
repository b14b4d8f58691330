#if canImport(Glibc)
import Glibc
#endif

/// The exit codes of DESIGN.md §6, in one place.
enum ExitStatus {
    static let ok: Int32 = 0
    static let failure: Int32 = 1
    static let usage: Int32 = 2
    static let notGranted: Int32 = 3
    static let denied: Int32 = 4
    static let card: Int32 = 5
}

/// An error the CLI knows how to report: one line that says what went wrong and what to do
/// next, and the exit code of its class. Each module's errors conform in the CLI (in the file of
/// the command family that owns them), so the modules stay free of CLI concerns.
protocol CLIReportable: Error {
    var cliMessage: String { get }
    var exitCode: Int32 { get }
}

/// A usage error detected after parsing (bad owner name, bad duration, …): exit 2.
struct UsageError: CLIReportable {
    let message: String
    init(_ message: String) { self.message = message }
    var cliMessage: String { "error: \(message)" }
    var exitCode: Int32 { ExitStatus.usage }
}

/// A plain failure with a message that already says what to do next: exit 1 unless told.
struct CommandFailure: CLIReportable {
    let message: String
    let exitCode: Int32
    init(_ message: String, exitCode: Int32 = ExitStatus.failure) {
        self.message = message
        self.exitCode = exitCode
    }
    var cliMessage: String { "error: \(message)" }
}

enum Terminal {
    static func printError(_ line: String) {
        var text = line
        if !text.hasSuffix("\n") { text += "\n" }
        _ = text.withCString { fputs($0, stderr) }
    }

    static func exit(_ code: Int32) -> Never {
        fflush(stdout)
        Glibc.exit(code)
    }
}
