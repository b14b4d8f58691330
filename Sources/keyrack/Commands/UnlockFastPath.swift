import KeyrackApp
import KeyrackNames

/// `keyrack unlock` parsed without ArgumentParser, for the command lines people and scripts
/// type. ArgumentParser's first parse in a process reflects over every option's type, and each
/// generic type it meets costs a scan of all 9 000 protocol conformances in the binary: 23 M
/// instructions, 2–3 ms, more than the rest of unlocking 100 keys (issue 32).
///
/// It takes only what it can read exactly as ArgumentParser would: unlock's own options, each
/// once (`--identity` repeatable), as `--name value` or `--flag`, with a value that is not empty
/// and does not start with `-`, and words every check accepts. Anything else (`--help`,
/// `--name=value`, a typo, a repeat, a value a check refuses) is nil, and ArgumentParser parses
/// the line as before, with its own errors. UnlockFastPathTests hold it to ArgumentParser's
/// result and to UnlockCommand's list of options.
enum UnlockFastPath {
    /// The options it reads: UnlockCommand's, with OwnerOptions' and PINOptions'.
    static let names = ["--for", "--owner", "--json", "--env", "--identity-agent", "--key", "--duration", "--using", "--identity",
                        "--pin-stdin", "--pin-file"]

    /// `arguments` without the program's name.
    static func parse(_ arguments: [String]) -> UnlockArguments? {
        guard arguments.first == "unlock" else { return nil }
        var parsed = UnlockArguments()
        var pinStdin = false, pinFile: String?
        // One bit per option seen (a Set<String> would cost a conformance scan of its own).
        var seen = 0
        var i = 1
        while i < arguments.count {
            guard let slot = names.firstIndex(of: arguments[i]) else { return nil }
            // --for and --owner are one option.
            let bit = 1 << (slot == 1 ? 0 : slot)
            if seen & bit != 0 && arguments[i] != "--identity" { return nil }
            seen |= bit
            switch arguments[i] {
            case "--json": parsed.json = true
            case "--identity-agent": parsed.identityAgent = true
            case "--pin-stdin": pinStdin = true
            default:
                guard i + 1 < arguments.count else { return nil }
                let value = arguments[i + 1]
                guard !value.isEmpty, !value.hasPrefix("-") else { return nil }
                i += 1
                switch arguments[i - 1] {
                case "--for", "--owner": parsed.owner = value
                case "--env": parsed.env = value
                case "--key": parsed.key = value
                case "--duration": parsed.duration = value
                case "--using":
                    guard let via = BackupVia(rawValue: value) else { return nil }
                    parsed.using = via
                case "--identity": parsed.identityPaths.append(value)
                case "--pin-file": pinFile = value
                default: return nil
                }
            }
            i += 1
        }
        guard NameRules.isValidOwner(parsed.owner), !(pinStdin && pinFile != nil),
              UnlockRequest.check(env: parsed.env, key: parsed.key, duration: parsed.duration, identityAgent: parsed.identityAgent) == nil
        else { return nil }
        parsed.pin = PINOptions.input(stdin: pinStdin, file: pinFile)
        return parsed
    }
}
