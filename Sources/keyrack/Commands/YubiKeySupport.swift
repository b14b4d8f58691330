import AgeFormat
import AgeYubiKey
import ArgumentParser
import PIV
#if canImport(Glibc)
import Glibc
#endif
import SecretBytes

/// Card problems are exit 5 (docs/cli.md, "Exit codes"); a PIN or slot of the wrong shape is a usage error.
extension PIVError: CLIReportable {
    public var cliMessage: String { "error: \(cliLine)" }

    /// The problem, and what to do in keyrack's own commands and options where PIV's generic
    /// remedy would not say.
    var cliLine: String { cliErrorLine.text }
    public var fixCommand: String? { cliErrorLine.fix }

    private var cliErrorLine: ErrorLine {
        guard let next = keyrackRemedy ?? remedy.map({ ErrorLine(text: $0, fix: nil) }) else { return ErrorLine(text: problem, fix: nil) }
        return "\(problem): \(line: next)"
    }

    private var keyrackRemedy: ErrorLine? {
        switch self {
        case .multipleCards: return "choose one with --serial"
        case .pinBlocked: return "unblock it with the PUK, \(fix: "keyrack yubikey unblock-pin") (add --serial N when several cards are plugged in), then retry"
        case .pinRequired: return "run from a terminal, or pass it on stdin where the command offers --pin-stdin"
        case .slotEmpty: return "run \(fix: "keyrack yubikey setup") to make one"
        case .slotInUse: return "pick another --slot, or omit --slot to use the first free one"
        case .unsupportedKey: return "use a slot made by \(fix: "keyrack yubikey setup") or age-plugin-yubikey"
        case .needsFirmware: return "use the default P-256 key (--algorithm p256), or a YubiKey 5 with firmware 5.7+"
        case .cardError: return "re-plug the card and retry; if it persists, check the slot with \(fix: "keyrack yubikey list")"
        default: return nil
        }
    }

    public var exitCode: Int32 {
        switch self {
        case .invalidPIN, .invalidSlot: return ExitStatus.usage
        default: return ExitStatus.card
        }
    }
}

extension FactoryDefaults {
    /// One line per factory secret still in place, each naming the command that changes it.
    var warnings: [String] {
        var out: [String] = []
        if pin == true { out.append("the PIN is the factory default 123456: change it with `keyrack yubikey change-pin`") }
        if puk == true { out.append("the PUK is the factory default 12345678: change it with `keyrack yubikey change-puk`") }
        if managementKey == true {
            out.append("the management key is the factory default: replace it with `keyrack yubikey change-management-key`")
        }
        return out
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

/// The policies as options take them. Not the PIV enums themselves: ArgumentParser shows a
/// RawRepresentable enum's raw value as its default, which for the card's codes read
/// `(default: 2)`; these are named by their words, and each says what it means.
enum PINPolicyArgument: String, CaseIterable, ExpressibleByArgument {
    case never, once, always

    var policy: PINPolicy { PINPolicy(name: rawValue)! }

    var defaultValueDescription: String {
        switch self {
        case .never: return "no PIN, ever (robots that unlock unattended)"
        case .once: return "the PIN once per card session"
        case .always: return "the PIN before every use of the key"
        }
    }
}

enum TouchPolicyArgument: String, CaseIterable, ExpressibleByArgument {
    case never, always, cached

    var policy: TouchPolicy { TouchPolicy(name: rawValue)! }

    var defaultValueDescription: String {
        switch self {
        case .never: return "no touch (robots)"
        case .always: return "a touch for every use of the key"
        case .cached: return "one touch covers 15 seconds of uses"
        }
    }
}

enum RecipientTypeArgument: String, CaseIterable, ExpressibleByArgument {
    case pivP256 = "piv-p256", tag

    var type: YubiKeyRecipientType { YubiKeyRecipientType(rawValue: rawValue)! }

    var defaultValueDescription: String {
        switch self {
        case .pivP256: return "age1yubikey1… (age-plugin-yubikey's; age 1.1 and the released plugin open it)"
        case .tag: return "age1tag1… (C2SP p256tag; age ≥ 1.3 encrypts to it without a plugin)"
        }
    }
}

extension PIVSlot: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
}
