import AgeFormat
import AgeYubiKey
import ArgumentParser
import PIV
#if canImport(Glibc)
import Glibc
#endif

/// Card problems are exit 5 (DESIGN.md §6); a PIN or slot of the wrong shape is a usage error.
extension PIVError: CLIReportable {
    var cliMessage: String { "error: \(description)" }
    var exitCode: Int32 {
        switch self {
        case .invalidPIN, .invalidSlot: return ExitStatus.usage
        default: return ExitStatus.card
        }
    }
}

/// `--serial N`: which card, when several are plugged in.
struct CardSelection: ParsableArguments {
    @Option(help: ArgumentHelp("The serial number of the YubiKey to use (required when several are plugged in).", valueName: "serial"))
    var serial: UInt32?
}

/// How the YubiKey commands talk to the user: PINs without echo from the terminal, or from
/// stdin; the touch prompt on stderr so it never mixes with output.
enum YubiKeyPrompts {
    /// Reads one secret from the terminal, or the next line of stdin when `fromStdin`.
    static func secret(_ prompt: String, what: String, stdin: inout StdinSecrets?) throws -> [UInt8] {
        if stdin != nil { return try stdin!.next(what) }
        return try SecretPrompt.readFromTerminal(prompt: prompt, what: what)
    }

    /// The PIN provider for unwrapping: terminal only (decryption reads the file from stdin).
    static let pin: PINProvider = { request in
        try SecretPrompt.readFromTerminal(prompt: request.prompt, what: "YubiKey PIN")
    }

    static let touch: TouchNotifier = TouchPrompt.notifier
}

/// Secrets piped on stdin for automation: one per line, in the order the command documents.
struct StdinSecrets {
    private var lines: [[UInt8]]

    init() {
        var all = SecretPrompt.readAllOfStdin()
        lines = all.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            var l = Array(line)
            if l.last == UInt8(ascii: "\r") { l.removeLast() }
            return l
        }
        wipe(&all)
    }

    mutating func next(_ what: String) throws -> [UInt8] {
        guard !lines.isEmpty else { throw UsageError("stdin ended before the \(what): give one secret per line") }
        return lines.removeFirst()
    }

    mutating func wipeAll() {
        for i in lines.indices { wipe(&lines[i]) }
        lines.removeAll()
    }
}

extension PINPolicy: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { allCases.map(\.description) }
    /// Help shows `(default: never)`, not the raw value.
    public var defaultValueDescription: String { description }
}

extension TouchPolicy: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { allCases.map(\.description) }
    /// Help shows `(default: never)`, not the raw value.
    public var defaultValueDescription: String { description }
}

extension PIVSlot: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
}
