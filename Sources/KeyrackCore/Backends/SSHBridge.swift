import AgeFormat
import AgeSSH

/// The one place KeyrackCore calls the AgeSSH module, turning its errors into keyrack's.
enum SSHBridge {
    static func recipient(authorizedKey: String) throws -> any Recipient {
        do { return try SSHKeys.recipient(fromAuthorizedKey: authorizedKey) } catch let error as SSHKeyError {
            throw KeyrackError.usage("\(error)")
        }
    }

    /// The identity of a private key file; an encrypted key asks `passphrase` only when a
    /// manifest actually holds a stanza for it (matched by the key's tag).
    static func identity(privateKey: [UInt8], passphrase: @escaping () throws -> [UInt8]) throws -> any Identity {
        do { return try SSHKeys.lazyIdentity(fromPrivateKey: privateKey, passphrase: passphrase) } catch let error as SSHKeyError {
            throw KeyrackError.usage("\(error)")
        }
    }

    static func isPrivateKey(_ bytes: [UInt8]) -> Bool { SSHKeys.isPrivateKey(bytes) }
}
