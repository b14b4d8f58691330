import AgeFormat

extension SSHKeys {
    /// Like `identity(fromPrivateKey:passphrase:)`, but for a passphrase-protected key the
    /// passphrase is asked only when a file actually has a stanza for this key, as age does: a
    /// user decrypting with several `-i` keys types only the passphrase of the one that matters.
    /// The embedded public key (readable without the passphrase) supplies the tag to match.
    public static func lazyIdentity(fromPrivateKey data: [UInt8], passphrase: @escaping () throws -> [UInt8]) throws -> any Identity {
        let pem = try PEMBlock(data)
        guard pem.label == OpenSSHPrivateKey.pemLabel else { return try identity(fromPrivateKey: data, passphrase: passphrase) }
        let envelope = try OpenSSHPrivateKey.envelope(pem.body)
        guard envelope.isEncrypted else { return try OpenSSHPrivateKey.open(envelope, passphrase: passphrase) }
        return SSHEncryptedIdentity(recipient: envelope.recipient, decrypt: {
            try OpenSSHPrivateKey.open(envelope, passphrase: passphrase)
        })
    }
}

/// An encrypted OpenSSH key whose private part is decrypted on first need, then kept. Its
/// public key and recipient are known without the passphrase.
public final class SSHEncryptedIdentity: Identity, SSHPublicKeyHolder {
    public let recipient: any Recipient & SSHPublicKeyHolder
    public var publicKey: SSHPublicKey { recipient.publicKey }
    private let decrypt: () throws -> any Identity & SSHPublicKeyHolder
    private var decrypted: (any Identity & SSHPublicKeyHolder)?

    init(recipient: any Recipient & SSHPublicKeyHolder, decrypt: @escaping () throws -> any Identity & SSHPublicKeyHolder) {
        self.recipient = recipient
        self.decrypt = decrypt
    }

    public func unwrap(_ stanzas: [Stanza]) throws -> FileKey? {
        // The tag is the first argument of both ssh stanza types. No match: not mine, no prompt.
        guard stanzas.contains(where: { $0.type == publicKey.type && $0.arguments.first == publicKey.tag }) else {
            return nil
        }
        if decrypted == nil { decrypted = try decrypt() }
        return try decrypted!.unwrap(stanzas)
    }
}
