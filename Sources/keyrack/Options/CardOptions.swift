import AgeYubiKey
import ArgumentParser
import KeyrackApp
import PIV

/// `--serial N`: which card, when several are plugged in.
struct CardSelection: ParsableArguments {
    @Option(help: ArgumentHelp("The serial number of the YubiKey to use (required when several are plugged in).", valueName: "serial"))
    var serial: UInt32?
}

/// `--serial` and `--pin-stdin` of change-pin, change-puk and unblock-pin, and their one body.
struct CardReferenceOptions: ParsableArguments {
    @OptionGroup var card: CardSelection

    @Flag(help: "Read the two secrets from stdin, one per line, in the order above.")
    var pinStdin = false

    func change(_ change: CardReferenceChange, done: String) throws {
        try CardReferenceChange.run(change, serial: card.serial, fromStdin: pinStdin)
        print(done)
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
