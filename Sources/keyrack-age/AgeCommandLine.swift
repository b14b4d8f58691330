// The `keyrack age encrypt|decrypt` command lines keyrack-age answers itself: a 1 GiB stream
// run by keyrack-cli has Foundation, ICU and ArgumentParser resident beside its buffers (about
// 25 MiB before the first byte), and its start-up is a tenth of a 256 MiB run. Only the plain
// spellings are taken here: short or long options each followed by their value, at most one
// input path, no option value or path that begins with `-` (stdin as `-`, `--`, `--opt=value`
// and help go to the full CLI), no option twice where the CLI allows it once. Anything else
// returns nil and the whole command line goes to keyrack-cli, whose ArgumentParser stays the
// one voice for usage errors and help.

struct AgeCommandLine: Equatable {
    enum Verb: Equatable { case encrypt, decrypt }

    let verb: Verb
    /// `-r`, `-R`, `-i` values, in command-line order within each option (as the CLI keeps them).
    var recipients: [String] = []
    var recipientFiles: [String] = []
    var identityFiles: [String] = []
    var armor = false
    var output: String?
    var input: String?

    /// `arguments`: what follows `age`.
    init?(arguments: [String]) {
        guard let first = arguments.first else { return nil }
        switch first {
        case "encrypt": verb = .encrypt
        case "decrypt": verb = .decrypt
        default: return nil
        }
        var i = 1
        while i < arguments.count {
            let argument = arguments[i]
            i += 1
            if !argument.hasPrefix("-") {
                guard input == nil else { return nil }
                input = argument
                continue
            }
            if argument == "-a" || argument == "--armor" {
                guard verb == .encrypt, !armor else { return nil }
                armor = true
                continue
            }
            guard i < arguments.count else { return nil }
            let value = arguments[i]
            i += 1
            guard !value.isEmpty, !value.hasPrefix("-") else { return nil }
            switch argument {
            case "-r", "--recipient":
                guard verb == .encrypt else { return nil }
                recipients.append(value)
            case "-R", "--recipients-file":
                guard verb == .encrypt else { return nil }
                recipientFiles.append(value)
            case "-i", "--identity": identityFiles.append(value)
            case "-o", "--output":
                guard output == nil else { return nil }
                output = value
            default: return nil
            }
        }
        switch verb {
        // No recipients or `-p` is the CLI's validation error or its passphrase prompt.
        case .encrypt: guard !(recipients.isEmpty && recipientFiles.isEmpty && identityFiles.isEmpty) else { return nil }
        // Without -i the CLI asks for a passphrase on the terminal.
        case .decrypt: guard !identityFiles.isEmpty else { return nil }
        }
    }
}
