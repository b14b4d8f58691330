import KeyrackClient

/// How `source --format dotenv` writes one value so that every reader of a `.env` file gets the
/// exact bytes back and none runs any of them: `. ./.env` in sh (dash) and bash, python-dotenv
/// (`load_dotenv`, interpolation on, as by default) and keyrack's own `exec --env-file` (EnvFile).
///
/// One spelling for all of them, from the plainest up:
/// - bare, when every byte is in `[A-Za-z0-9_@%+=:,./-]`: nothing in it is special anywhere, and
///   docker's `--env-file` (which keeps the rest of the line verbatim) reads it exactly too;
/// - `'…'`, when the value holds no `'` and no `\`: literal in sh and in EnvFile, and python-dotenv
///   decodes only `\\` and `\'` inside single quotes;
/// - `"…"` with `\\` and `\"` only, when the value holds no `$` and no backtick: those two are the
///   escapes sh, python-dotenv and EnvFile share, and nothing else in double quotes is live in sh
///   once `$` and backticks are absent. Newlines stay literal (sh keeps them; `\n` would be two
///   bytes to sh).
///
/// What no spelling carries to all readers is refused by name rather than written half-right:
/// `$` or a backtick together with `'` or `\` (sh needs `'…'` or escapes python-dotenv keeps),
/// `${…}` (python-dotenv expands it in any quotes and has no escape), CR (python reads the file
/// with universal newlines, so a CR comes back as LF) and NUL (no shell variable holds one).
/// Docker's `--env-file` does no unquoting at all, so a quoted value reaches a container with its
/// quotes: docker users pass the values from the environment instead
/// (`keyrack exec … -- docker run -e NAME …`).
public enum DotenvQuoting {
    /// A one-line error naming the variable whose value has no safe spelling (asked of every
    /// value before any is written, so nothing is half-printed).
    public static func check(name: String, value: [UInt8]) throws {
        if let problem = unrepresentable(value) {
            throw OutputRefusal(.failure, "the value of \(name) holds \(problem), which no dotenv spelling gives back exactly to sh, python-dotenv and keyrack alike",
                                remedy: .shJSONOrExec)
        }
    }

    /// The value as it goes after `NAME=`; `check` passed it.
    public static func quoted(_ value: [UInt8]) -> [UInt8] {
        if value.allSatisfy(isBare) { return value }
        if !value.contains(where: { $0 == 0x27 || $0 == 0x5c }) { return [0x27] + value + [0x27] }
        var out: [UInt8] = [0x22]
        for b in value {
            if b == 0x5c || b == 0x22 { out.append(0x5c) }
            out.append(b)
        }
        return out + [0x22]
    }

    /// Why `value` has no safe spelling, or nil when it has one.
    public static func unrepresentable(_ value: [UInt8]) -> String? {
        if value.contains(0) { return "a NUL byte" }
        if value.contains(0x0d) { return "a carriage return" }
        if let open = value.indices.first(where: { value[$0] == 0x24 && $0 + 1 < value.count && value[$0 + 1] == 0x7b }),
           value[(open + 2)...].contains(0x7d) {
            return "${…}, which python-dotenv expands"
        }
        let quoteOrBackslash = value.contains { $0 == 0x27 || $0 == 0x5c }
        let dollarOrBacktick = value.contains { $0 == 0x24 || $0 == 0x60 }
        if quoteOrBackslash && dollarOrBacktick { return "both a ' or \\ and a $ or backtick" }
        return nil
    }

    /// The bytes no reader treats specially, unquoted (`~` is not one: sh expands it after `=` and `:`).
    private static func isBare(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5a, 0x61...0x7a: return true
        default: return Array("_@%+=:,./-".utf8).contains(b)
        }
    }
}
