// How a failure reaches a script. Always one line on stderr (`error: …`); with `--json` also one
// object on stdout, so `keyrack … --json | jq` sees the failure too:
//
//   {"error":{"code":"locked","exit":3,"message":"…","fix":"keyrack unlock --env test --key K"}}
//
// `code` is a stable word a script can switch on (the table is in docs/cli.md, from
// scripts/gen-cli-docs; JSONOutputTests checks every code keyrack emits is in it); `exit` is the
// process's exit code; `message` is the stderr line without its `error: `; `fix` is the command
// that fixes it, or null: given by the error itself (CLIReportable.fixCommand, ErrorLine), never
// read back out of the message, so rewording a message cannot change it. Encoded by JSONLine,
// the one encoder of every `--json` answer.
// Foundation-free: the `keyrack` front end reports `get` failures with it as the full CLI does.

public struct ErrorReport: Equatable, Encodable {
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

    /// The report of an error whose stderr line is `line` (with or without `error: `), fixed by `fix`.
    public init(line: String, exit: Int32, code: String? = nil, fix: String? = nil) {
        var message = line.hasSuffix("\n") ? String(line.dropLast()) : line
        if message.hasPrefix("error: ") { message = String(message.dropFirst("error: ".count)) }
        // As on stderr (Terminal.printError): a `jq -r .error.message` prints no server's escape.
        message = TextFormat.printable(message)
        self.init(code: code ?? ErrorReport.code(forExit: exit), exit: exit, message: message, fix: fix)
    }

    public init(_ error: CLIReportable) {
        self.init(line: error.cliMessage, exit: error.exitCode, code: error.errorCode, fix: error.fixCommand)
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

    /// `{"error":{"code":…,"exit":…,"message":…,"fix":…}}`: the fields in this order, `fix` null when there is none.
    public func encode(to encoder: any Encoder) throws {
        var outer = encoder.container(keyedBy: Outer.self)
        try outer.encode(fields, forKey: .error)
    }

    /// The inner object, for an answer that carries the error beside its own fields (`doctor --json`).
    public var fields: Fields { Fields(code: code, exit: exit, message: message, fix: fix) }

    public struct Fields: Encodable, Equatable {
        public var code: String
        public var exit: Int32
        public var message: String
        /// Null when there is none (JSONLine writes absent optionals as null).
        public var fix: String?
    }

    private enum Outer: String, CodingKey { case error }

    public var json: String { JSONLine.encode(self) }

    /// The stderr line always; the JSON object on stdout as well when the command line asked for it.
    public func emit(json wanted: Bool) {
        if wanted { Output.line(json) }
        Terminal.printError("error: \(message)")
    }

    /// Whether `arguments` (without the program name) ask for JSON: a `--json` before any `--`,
    /// since what follows `--` belongs to the program `exec` runs. Read from the raw arguments so
    /// a usage error, found before any command exists, is reported the way the caller asked.
    /// An ArraySlice, not `some Sequence`: the generic form, unspecialised across modules, cost a
    /// scan of every protocol conformance in keyrack-cli at each start (400 K instructions).
    public static func wantsJSON(_ arguments: ArraySlice<String>) -> Bool {
        for argument in arguments {
            if argument == "--" { return false }
            if argument == "--json" { return true }
        }
        return false
    }
}
