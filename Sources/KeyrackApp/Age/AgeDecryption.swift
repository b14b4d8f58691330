import AgeFormat

/// `keyrack age decrypt`: age's `-d`. Plaintext is written as each chunk authenticates; a
/// failure later removes the output file (AgeOutput).
public enum AgeDecryption {
    /// Decrypts `input` (a path, or stdin for nil or `-`) to `output` with the identities of
    /// `identityFiles`; with none, a passphrase-encrypted file asks for its passphrase.
    public static func run(identityFiles: [String], input: String?, output: AgeOutput, terminal: any UserTerminal) throws {
        var identities = try AgeKeyFiles.identities(files: identityFiles, terminal: terminal)
        if identities.isEmpty { identities = [PassphrasePromptIdentity(terminal: terminal)] }
        let source = try AgeInput.open(input)
        let decryptor: AgeDecryptor
        do {
            decryptor = try AgeDecryptor(input: source, identities: identities)
        } catch AgeError.noMatchingIdentity(let types) where identityFiles.isEmpty && types.contains("scrypt") {
            // age's rule: a wrong passphrase is "no identity matched"; say it in the user's words.
            throw AgeToolError.wrongPassphrase
        } catch AgeError.noMatchingIdentity(let types) where identityFiles.isEmpty {
            throw AgeToolError.needsIdentity(kinds: Array(Set(types)).sorted())
        }
        try output.run { try decryptor.decrypt(to: output.sink()) }
    }
}

/// Asks for a passphrase only when the file turns out to be passphrase-encrypted, so
/// `keyrack age decrypt file.age` works like `age -d file.age`.
struct PassphrasePromptIdentity: Identity {
    let terminal: any UserTerminal

    func unwrap(_ stanzas: [Stanza]) throws -> FileKey? {
        guard stanzas.contains(where: { $0.type == "scrypt" }) else { return nil }
        let secret = try terminal.ask(.passphrase(prompt: "Enter passphrase: "))
        return try ScryptIdentity(passphrase: secret).unwrap(stanzas)
    }
}
