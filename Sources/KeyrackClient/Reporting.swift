#if canImport(Glibc)
import Glibc
import KeyrackDaemon
#endif

// How keyrack fails, in one place: the exit codes of docs/cli.md and the one-line errors that
// carry them. Public and Foundation-free because two binaries report them: the `keyrack` front
// end (which answers `get` alone) and the full CLI (`keyrack-cli`), and their `get` must read
// byte for byte the same.

/// The exit codes of docs/cli.md, in one place.
public enum ExitStatus {
    public static let ok: Int32 = 0
    public static let failure: Int32 = 1
    public static let usage: Int32 = 2
    public static let notGranted: Int32 = 3
    public static let denied: Int32 = 4
    public static let card: Int32 = 5
}

/// An error either binary reports: one line on stderr that says what went wrong and what to do
/// next, and the exit code of its class. Each module's errors conform in the CLI's words
/// (KeyrackPresentation, a file per error), so the modules stay free of CLI concerns.
public protocol CLIReportable: Error {
    var cliMessage: String { get }
    var exitCode: Int32 { get }
    /// The word `--json` reports it by (the table of docs/cli.md).
    var errorCode: String { get }
    /// The keyrack command that fixes it (`--json`'s `fix`), or nil. Given by the error, typed
    /// apart from its wording (ErrorLine), never read back out of the message.
    var fixCommand: String? { get }
}

extension CLIReportable {
    public var errorCode: String { ErrorReport.code(forExit: exitCode) }
    public var fixCommand: String? { nil }
}

/// A usage error detected after parsing (bad owner name, bad duration, …): exit 2.
public struct UsageError: CLIReportable {
    public let message: String
    public let fixCommand: String?
    public init(_ message: String, fix: String? = nil) {
        self.message = message
        self.fixCommand = fix
    }
    public init(_ line: ErrorLine) { self.init(line.text, fix: line.fix) }
    public var cliMessage: String { "error: \(message)" }
    public var exitCode: Int32 { ExitStatus.usage }
    public var errorCode: String { "usage" }
}

/// A plain failure with a message that already says what to do next: exit 1 unless told.
public struct CommandFailure: CLIReportable {
    public let message: String
    public let exitCode: Int32
    public let fixCommand: String?
    public init(_ message: String, exitCode: Int32 = ExitStatus.failure, fix: String? = nil) {
        self.message = message
        self.exitCode = exitCode
        self.fixCommand = fix
    }
    public init(_ line: ErrorLine, exitCode: Int32 = ExitStatus.failure) { self.init(line.text, exitCode: exitCode, fix: line.fix) }
    public var cliMessage: String { "error: \(message)" }
}

/// A key that is not available now (locked, absent, expired, or refused by the firewall): exit 3.
public struct NotGranted: CLIReportable {
    public let message: String
    /// locked, absent, expired, refused or not-granted (the table of docs/cli.md).
    public let errorCode: String
    public let fixCommand: String?
    public init(message: String, code: String = "not-granted", fix: String? = nil) {
        self.message = message
        self.errorCode = code
        self.fixCommand = fix
    }
    public init(message line: ErrorLine, code: String = "not-granted") { self.init(message: line.text, code: code, fix: line.fix) }
    public var cliMessage: String { "error: \(message)" }
    public var exitCode: Int32 { ExitStatus.notGranted }
}

public enum Terminal {
    /// One line on stderr, whatever it quotes: every error and warning ends up here, and many
    /// carry text keyrack did not write (an OpenBao or GitHub error, `aws`/`op` stderr, field
    /// names, echoed input). Control characters (ESC, BEL, CR, LF, other C0 and C1) are escaped
    /// (TextFormat.printable), so a server can neither retitle or clear the terminal nor break
    /// the one line a script reads.
    public static func printError(_ line: String) {
        let body = line.hasSuffix("\n") ? String(line.dropLast()) : line
        write(TextFormat.printable(body) + "\n")
    }

    /// Several lines keyrack itself composed (ArgumentParser's usage text): newlines stay, every
    /// other control character is escaped as in `printError`.
    public static func printErrorLines(_ text: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { TextFormat.printable(String($0)) }
        var out = lines.joined(separator: "\n")
        if !out.hasSuffix("\n") { out += "\n" }
        write(out)
    }

    private static func write(_ text: String) {
        StandardError.write(text)
    }

    public static func exit(_ code: Int32) -> Never {
        fflush(nil)   // every output stream: Swift 6 does not let this code name C's global `stdout`
        Glibc.exit(code)
    }
}
