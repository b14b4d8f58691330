import KeyrackCore
import KeyrackApp
import AgeFormat
import AgeYubiKey
import ArgumentParser
import PIV
#if canImport(Glibc)
import Glibc
#endif
import SecretBytes

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

    /// One secret: its prompt on the terminal (a PIN's with who asks), or the next line of stdin.
    mutating func read(_ request: SecretRequest, what: String) throws -> [UInt8] {
        if stdin != nil { return try stdin!.next(what) }
        return try SecretPrompt.readFromTerminal(prompt: request.prompt, what: what, saysWhoAsks: request.isPIN)
    }

    /// A new PIN or PUK: typed twice on a terminal (a typo there would lock its owner out of the
    /// card), read once from stdin.
    mutating func readNew(puk: Bool) throws -> [UInt8] {
        let what = puk ? "PUK" : "PIN"
        let ask: (String) -> SecretRequest = { puk ? .puk(prompt: $0) : .pin(prompt: $0) }
        var new = try read(ask("New \(what) (6–8 characters): "), what: "new \(what)")
        if stdin == nil {
            var again = try read(ask("New \(what) again: "), what: "new \(what)")
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
        try SecretPrompt.readFromTerminal(prompt: request.prompt, what: "YubiKey PIN", saysWhoAsks: true)
    }

    static let touch: TouchNotifier = TouchPrompt.notifier
}

/// Secrets piped on stdin for automation: one per line, in the order the command documents.
struct StdinSecrets {
    private var lines: [[UInt8]]

    init() {
        var all = SecretPrompt.readAllOfStdin()
        lines = PINSource.lines(all)
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
