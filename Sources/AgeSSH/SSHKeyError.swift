/// Every way reading an SSH key or unwrapping an ssh stanza can fail. Each description is one
/// line naming what was wrong and what to do; none carries key bytes, passphrases or file keys.
/// Malformed stanzas of the ssh types are reported as `AgeError.malformedStanza`, like every
/// other stanza type.
public enum SSHKeyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The key text or its binary structure is broken (what, where).
    case malformedKey(String)
    /// A well-formed key of a type age cannot use (ecdsa, sk-… security keys, ssh-dss, …).
    case unsupportedKeyType(String)
    /// The private key is encrypted with a cipher this implementation does not support.
    case unsupportedCipher(String)
    /// The private key uses a key derivation other than bcrypt.
    case unsupportedKDF(String)
    /// PEM keys encrypted the pre-OpenSSH-6.5 way (`Proc-Type: 4,ENCRYPTED`).
    case legacyEncryptedPEM
    /// The passphrase did not decrypt the private key (OpenSSH's check words differ).
    case wrongPassphrase
    /// RSA keys below 2048 bits are refused, as age does.
    case rsaKeyTooSmall(bits: Int)
    /// The private part does not belong to the public key stored beside it.
    case mismatchedPublicKey
    /// A stanza carried this key's tag but its file key did not decrypt: the file was tampered
    /// with, or corrupted. Deliberately one case for every decryption failure (RSA-OAEP padding,
    /// AEAD tag, all-zero shared secret), so failures cannot be told apart from outside.
    case unwrapFailed(keyType: String)

    public var description: String {
        switch self {
        case .malformedKey(let why):
            return "malformed SSH key: \(why)"
        case .unsupportedKeyType(let type):
            return "SSH key type \(type) is not supported: age and keyrack use ssh-ed25519 or ssh-rsa keys (make one with ssh-keygen -t ed25519)"
        case .unsupportedCipher(let cipher):
            return "the SSH private key is encrypted with \(cipher), which is not supported: re-encrypt it with ssh-keygen -p -Z aes256-ctr -f KEYFILE"
        case .unsupportedKDF(let kdf):
            return "the SSH private key uses key derivation \(kdf), which is not supported: re-encrypt it with ssh-keygen -p -f KEYFILE"
        case .legacyEncryptedPEM:
            return "encrypted PEM (Proc-Type: 4,ENCRYPTED) SSH keys are not supported: convert the key with ssh-keygen -p -f KEYFILE, which writes the OpenSSH format"
        case .wrongPassphrase:
            return "wrong passphrase for the SSH private key"
        case .rsaKeyTooSmall(let bits):
            return "the ssh-rsa key is \(bits) bits; keys below 2048 bits are refused: use ssh-keygen -t ed25519 or -t rsa -b 3072"
        case .mismatchedPublicKey:
            return "the SSH private key does not match its public key: the key file is corrupted or was pieced together"
        case .unwrapFailed(let type):
            return "failed to decrypt the file key from the \(type) stanza addressed to this key: the file was tampered with or is corrupted"
        }
    }
}
