// How a failure reaches a script. Always one line on stderr (`error: …`); with `--json` also one
// object on stdout, so `keyrack … --json | jq` sees the failure too:
//
//   {"error":{"code":"locked","exit":3,"message":"…","fix":"keyrack unlock --env test --key K"}}
//
// `code` is a stable word a script can switch on (the table is in docs/cli.md, from
// scripts/gen-cli-docs; JSONOutputTests checks every code keyrack emits is in it); `exit` is the
// process's exit code; `message` is the stderr line without its `error: `; `fix` is the command
// that fixes it, or null.
// Foundation-free: the `keyrack` front end reports `get` failures with it as the full CLI does.

public struct ErrorReport: Equatable {
    public var code: String
    public var exit: Int32
    public var message: String
    public var fix: String?

    public init(code: String, exit: Int32, message: String, fix: String?) {
        self.code = code
        self.exit = exit
        self.message = message
        self.fix = fix
    }

    /// The report of an error whose stderr line is `line` (with or without `error: `).
    public init(line: String, exit: Int32, code: String? = nil) {
        var message = line.hasSuffix("\n") ? String(line.dropLast()) : line
        if message.hasPrefix("error: ") { message = String(message.dropFirst("error: ".count)) }
        // As on stderr (Terminal.printError): a `jq -r .error.message` prints no server's escape.
        message = TextFormat.printable(message)
        self.init(code: code ?? ErrorReport.code(forExit: exit), exit: exit, message: message, fix: ErrorReport.fix(in: message))
    }

    public init(_ error: CLIReportable) {
        self.init(line: error.cliMessage, exit: error.exitCode, code: error.errorCode)
    }

    /// The generic code of an exit status, for errors that carry no code of their own.
    public static func code(forExit exit: Int32) -> String {
        switch exit {
        case ExitStatus.usage: return "usage"
        case ExitStatus.notGranted: return "not-granted"
        case ExitStatus.denied: return "denied"
        case ExitStatus.card: return "card"
        case 126: return "cannot-run"
        case 127: return "command-not-found"
        default: return "failure"
        }
    }

    /// Every message names what to do next, with the command in backquotes (`keyrack unlock …`):
    /// that command is the fix. The first quoted `keyrack …` wins, else nothing.
    public static func fix(in message: String) -> String? {
        let parts = message.split(separator: "`", omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return nil }
        return stride(from: 1, to: parts.count - 1, by: 2).map { String(parts[$0]) }.first { $0.hasPrefix("keyrack ") }
    }

    public var json: String {
        "{\"error\":{\"code\":\(TextFormat.json(code)),\"exit\":\(exit),\"message\":\(TextFormat.json(message)),\"fix\":\(fix.map(TextFormat.json) ?? "null")}}"
    }

    /// The stderr line always; the JSON object on stdout as well when the command line asked for it.
    public func emit(json wanted: Bool) {
        if wanted { Output.line(json) }
        Terminal.printError("error: \(message)")
    }

    /// Whether `arguments` (without the program name) ask for JSON: a `--json` before any `--`,
    /// since what follows `--` belongs to the program `exec` runs. Read from the raw arguments so
    /// a usage error, found before any command exists, is reported the way the caller asked.
    public static func wantsJSON(_ arguments: some Sequence<String>) -> Bool {
        for argument in arguments {
            if argument == "--" { return false }
            if argument == "--json" { return true }
        }
        return false
    }
}
