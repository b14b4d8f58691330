import KeyrackApp
import ArgumentParser
import AgeFormat
#if canImport(Glibc)
import Glibc
import KeyrackClient
#endif

/// `keyrack age encrypt`: the `age -e` of keyrack, with age's flags.
struct AgeEncryptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encrypt",
        abstract: "Encrypt a file to recipients or with a passphrase (as `age -e`).",
        discussion: """
        Reads INPUT (or stdin) and writes the age file to -o (or stdout). Recipients: age1… \
        (X25519), age1pq1… (post-quantum), age1yubikey1… (a YubiKey PIV slot, as \
        age-plugin-yubikey; no card needed to encrypt), ssh-ed25519/ssh-rsa public keys. With -o, \
        a failed run removes the partial output file.
        """
    )

    @Option(name: [.customShort("r"), .customLong("recipient")], help: ArgumentHelp(
        "Encrypt to this recipient (age1…, age1pq1…, age1yubikey1…, or an ssh public key line). Repeatable.", valueName: "recipient"))
    var recipients: [String] = []

    @Option(name: [.customShort("R"), .customLong("recipients-file")], help: ArgumentHelp(
        "Encrypt to the recipients listed in this file, one per line. Repeatable.", valueName: "path"))
    var recipientFiles: [String] = []

    @Option(name: [.customShort("i"), .customLong("identity")], help: ArgumentHelp(
        "Encrypt to the recipients of the identities in this file. Repeatable.", valueName: "path"))
    var identityFiles: [String] = []

    @Flag(name: [.customShort("a"), .customLong("armor")], help: "Write PEM-armored ASCII instead of binary.")
    var armor = false

    @Flag(name: [.customShort("p"), .customLong("passphrase")], help: "Encrypt with a passphrase asked on the terminal (scrypt); not combinable with recipients.")
    var passphrase = false

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp(
        "Write the result to this file instead of stdout.", valueName: "path"))
    var output: String?

    @Argument(help: ArgumentHelp("The file to encrypt (default: stdin).", valueName: "input"))
    var input: String?

    func validate() throws {
        let hasRecipients = !recipients.isEmpty || !recipientFiles.isEmpty || !identityFiles.isEmpty
        if passphrase, hasRecipients {
            throw ValidationError("-p/--passphrase cannot be combined with -r, -R or -i: a passphrase file has no other recipients")
        }
        if !passphrase, !hasRecipients {
            throw ValidationError("missing recipients: give -r RECIPIENT, -R FILE or -i FILE, or -p for a passphrase")
        }
    }

    func run() throws {
        let target = AgeOutput(path: output)
        if !armor, target.isTerminal {
            throw UsageError("refusing to write binary age data to a terminal; use -a for armor or -o FILE")
        }
        let recipients = try resolveRecipients()
        let source = try AgeInput.open(input)
        try target.run {
            try AgeEncryptor.encrypt(from: source, to: recipients, armor: armor, output: target.sink())
        }
    }

    private func resolveRecipients() throws -> [any Recipient] {
        if passphrase {
            let first = try SecretPrompt.readFromTerminal(prompt: "Enter passphrase: ", what: "passphrase")
            guard !first.isEmpty else { throw UsageError("the passphrase is empty; type one (it is not echoed)") }
            let again = try SecretPrompt.readFromTerminal(prompt: "Confirm passphrase: ", what: "passphrase")
            guard first == again else { throw UsageError("the passphrases do not match; run the command again") }
            return [ScryptRecipient(passphrase: first, workFactor: 18)]
        }
        var result: [any Recipient] = []
        for string in recipients {
            do { result.append(try KeyParsing.recipient(string)) } catch let error as AgeError {
                throw UsageError("invalid -r recipient: \(error.reason)")
            }
        }
        for path in recipientFiles {
            let bytes = try AgeInput.readKeyFile(path, what: "recipients")
            result += try KeyParsing.recipients(fileContents: bytes, path: path)
        }
        for path in identityFiles {
            let bytes = try AgeInput.readKeyFile(path, what: "identity")
            let identities = try KeyParsing.identities(fileContents: bytes, path: path, passphrase: Self.ask)
            for identity in identities {
                guard let convertible = identity as? any RecipientConvertible else {
                    throw UsageError("identity file '\(path)' holds a key whose recipient cannot be derived; use -r with its public key")
                }
                result.append(convertible.anyRecipient)
            }
        }
        return result
    }

    static func ask(_ what: String) throws -> [UInt8] {
        try SecretPrompt.readFromTerminal(prompt: "Enter \(what): ", what: what)
    }
}

/// Identities whose public recipient can be derived offline (for `encrypt -i`).
protocol RecipientConvertible { var anyRecipient: any Recipient { get } }
extension X25519Identity: RecipientConvertible { var anyRecipient: any Recipient { recipient } }
extension MLKEM768X25519Identity: RecipientConvertible { var anyRecipient: any Recipient { recipient } }
