import AgeFormat
import AgeYubiKey
import ArgumentParser
import PIV
#if canImport(Glibc)
import Glibc
#endif

/// Card problems are exit 5 (docs/cli.md, "Exit codes"); a PIN or slot of the wrong shape is a usage error.
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

/// Where a YubiKey command's PINs and PUKs come from: the terminal without echo, or with
/// --pin-stdin one per line of stdin, in the order the command's help documents.
struct CardSecrets {
    private var stdin: StdinSecrets?

    init(fromStdin: Bool) { stdin = fromStdin ? StdinSecrets() : nil }

    /// One secret: `prompt` on the terminal, or the next line of stdin.
    mutating func read(_ prompt: String, what: String) throws -> [UInt8] {
        if stdin != nil { return try stdin!.next(what) }
        return try SecretPrompt.readFromTerminal(prompt: prompt, what: what)
    }

    /// A new PIN or PUK: typed twice on a terminal (a typo there would lock its owner out of the
    /// card), read once from stdin.
    mutating func readNew(_ what: String) throws -> [UInt8] {
        var new = try read("New \(what) (6–8 characters): ", what: "new \(what)")
        if stdin == nil {
            var again = try read("New \(what) again: ", what: "new \(what)")
            defer { wipe(&again) }
            guard again == new else {
                wipe(&new)
                throw UsageError("the two new \(what)s differ: run the command again")
            }
        }
        return new
    }

    /// Zeroes the stdin lines not consumed.
    mutating func wipeAll() { stdin?.wipeAll() }
}

/// How the YubiKey commands talk to the user while the card works: the PIN prompt of an unwrap,
/// and the touch prompt on stderr so it never mixes with output.
enum YubiKeyPrompts {
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
