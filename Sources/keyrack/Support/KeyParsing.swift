import AgeFormat
import AgeSSH
import AgeYubiKey

/// Turns the key strings and files of the command line into recipients and identities of every
/// kind keyrack knows. The format modules each know their own kinds (AgeFormat: X25519, scrypt,
/// mlkem768x25519; AgeSSH: ssh-ed25519/ssh-rsa; AgeYubiKey: piv-p256); only the CLI knows them all,
/// so the dispatch lives here.
enum KeyParsing {
    /// One `-r` argument or one line of a `-R` file.
    static func recipient(_ string: String) throws -> any Recipient {
        if ["ssh-", "ecdsa-", "sk-"].contains(where: { string.hasPrefix($0) }) {
            // Every SSH key type goes to AgeSSH, so an unsupported one is refused by name; as an
            // invalid key, so callers place it (-r argument, -R file line) like any other.
            do { return try SSHKeys.recipient(fromAuthorizedKey: string) } catch let error as SSHKeyError {
                throw AgeError.invalidKey(error.description)
            }
        }
        if string.hasPrefix("age1yubikey1") {
            return try PIVP256Recipient(string: string)
        }
        if string.hasPrefix("age1tag1") {
            return try P256TagRecipient(string: string)
        }
        return try AgeKeys.parseRecipient(string)
    }

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
        return try AgeKeys.lines(of: text, what: "identity").map { line in
            if line.text.hasPrefix("AGE-PLUGIN-YUBIKEY-1") {
                do {
                    return YubiKeyIdentity(stub: try YubiKeyStub(string: line.text),
                                           pinProvider: YubiKeyPrompts.pin, touchNotifier: YubiKeyPrompts.touch)
                } catch let error as AgeError {
                    throw AgeError.invalidKey("identity file '\(path)' line \(line.number): \(error.reason)")
                }
            }
            do { return try AgeKeys.parseIdentity(line.text) } catch let error as AgeError {
                throw AgeError.invalidKey("identity file '\(path)' line \(line.number): \(error.reason)")
            }
        }
    }
}
