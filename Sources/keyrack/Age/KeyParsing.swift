import KeyrackApp
import AgeFormat
import AgeSSH
import AgeYubiKey
import TPM
import KeyrackCore

/// Turns the key files of `keyrack age` into recipients and identities of every kind keyrack
/// knows; one recipient string is parsed by the core's `RecipientString`, as manifests' are.
enum KeyParsing {
    /// One `-r` argument or one line of a `-R` file.
    static func recipient(_ string: String) throws -> any Recipient { try RecipientString.recipient(string) }

    /// The recipients of a `-R` file: one per line, `#` comments and blank lines ignored.
    static func recipients(fileContents bytes: [UInt8], path: String) throws -> [any Recipient] {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw AgeError.invalidKey("recipients file '\(path)' is not valid UTF-8")
        }
        return try AgeKeys.lines(of: text, what: "recipients").map { line in
            if line.text.hasPrefix("AGE-") {
                throw AgeError.invalidKey("recipients file '\(path)' line \(line.number) holds an identity (a secret key), not a recipient")
            }
            do { return try recipient(line.text) } catch let error as AgeError {
                throw AgeError.invalidKey("recipients file '\(path)' line \(line.number): \(error.description)")
            }
        }
    }

    /// The identities of an `-i` file. `passphrase` is asked only when the file needs one
    /// (a passphrase-encrypted identity file, or a protected ssh key).
    static func identities(fileContents bytes: [UInt8], path: String, passphrase: @escaping (String) throws -> [UInt8]) throws -> [any Identity] {
        let prefix = String(decoding: bytes.prefix(64), as: UTF8.self)
        if prefix.hasPrefix("age-encryption.org/") || prefix.hasPrefix(Armor.header) {
            // An identity file that is itself an age file, encrypted with a passphrase (age -p).
            let secret = try passphrase("passphrase for identity file '\(path)'")
            let plain = try Age.decrypt(bytes, with: [ScryptIdentity(passphrase: secret)])
            return try identities(fileContents: plain, path: path, passphrase: passphrase)
        }
        if prefix.hasPrefix("-----BEGIN") || prefix.hasPrefix("ssh-") {
            // Lazy: as age, a protected key asks for its passphrase only when a stanza is for it.
            return [try SSHKeys.lazyIdentity(fromPrivateKey: bytes, passphrase: { try passphrase("passphrase for ssh key '\(path)'") })]
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw AgeError.invalidKey("identity file '\(path)' is not valid UTF-8")
        }
        do {
            return try IdentityLines.identities(in: text, cardIdentity: { stub in
                YubiKeyIdentity(stub: stub, pinProvider: YubiKeyPrompts.pin, touchNotifier: YubiKeyPrompts.touch)
            }, tpmPIN: { tries in try SecretPrompt.readFromTerminal(prompt: TPMPrompt.pin(triesLeft: tries), what: "TPM PIN", saysWhoAsks: true) })
        } catch let error as AgeError {
            throw AgeError.invalidKey("identity file '\(path)' \(error.reason)")
        }
    }
}
