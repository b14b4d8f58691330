import ArgumentParser
import AgeFormat
#if canImport(Glibc)
import Glibc
import KeyrackClient
#endif

/// `keyrack age decrypt`: the `age -d` of keyrack, with age's flags.
struct AgeDecryptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decrypt",
        abstract: "Decrypt an age file, armored or binary (as `age -d`).",
        discussion: """
        Reads INPUT (or stdin) and writes the plaintext to -o (or stdout). Without -i, a \
        passphrase-encrypted file asks for its passphrase on the terminal. Plaintext is written \
        only after each 64 KiB chunk authenticates; when a later chunk fails, the command exits \
        non-zero and, with -o, removes the output file.
        """
    )

    @Option(name: [.customShort("i"), .customLong("identity")], help: ArgumentHelp(
        "Use the identities in this file (age keys, ssh private keys). Repeatable.", valueName: "path"))
    var identityFiles: [String] = []

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp(
        "Write the plaintext to this file instead of stdout (removed again if decryption fails).", valueName: "path"))
    var output: String?

    @Argument(help: ArgumentHelp("The file to decrypt (default: stdin).", valueName: "input"))
    var input: String?

    func run() throws {
        var identities: [any Identity] = []
        for path in identityFiles {
            let bytes = try AgeInput.readKeyFile(path, what: "identity")
            identities += try KeyParsing.identities(fileContents: bytes, path: path, passphrase: AgeEncryptCommand.ask)
        }
        if identities.isEmpty { identities = [PassphrasePromptIdentity()] }

        let source = try AgeInput.open(input)
        let decryptor: AgeDecryptor
        do {
            decryptor = try AgeDecryptor(input: source, identities: identities)
        } catch AgeError.noMatchingIdentity(let types) where identityFiles.isEmpty && types.contains("scrypt") {
            // age's rule: a wrong passphrase is "no identity matched"; say it in the user's words.
            throw CommandFailure("incorrect passphrase for this passphrase-encrypted file; try again (passphrases are case-sensitive)")
        } catch AgeError.noMatchingIdentity(let types) where identityFiles.isEmpty {
            let kinds = Array(Set(types)).sorted().joined(separator: ", ")
            throw UsageError("this file is encrypted to recipients (\(kinds)), not a passphrase; give the identity file with -i")
        }
        let target = AgeOutput(path: output)
        try target.run { try decryptor.decrypt(to: target.sink()) }
    }
}

/// Asks for a passphrase only when the file turns out to be passphrase-encrypted, so
/// `keyrack age decrypt file.age` works like `age -d file.age`.
struct PassphrasePromptIdentity: Identity {
    func unwrap(_ stanzas: [Stanza]) throws -> FileKey? {
        guard stanzas.contains(where: { $0.type == "scrypt" }) else { return nil }
        let secret = try AgeEncryptCommand.ask("passphrase")
        return try ScryptIdentity(passphrase: secret).unwrap(stanzas)
    }
}
