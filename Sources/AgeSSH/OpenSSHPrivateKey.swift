import AgeFormat
import Crypto
import _CryptoExtras
import SecretBytes

/// The `openssh-key-v1` private key format (OpenSSH's PROTOCOL.key), what `ssh-keygen` writes by
/// default, unencrypted or encrypted with a passphrase (bcrypt_pbkdf + AES):
///
///     "openssh-key-v1\0" string cipher, string kdf, string kdfoptions, uint32 nkeys (= 1),
///     string publickey, string private-section
///     private-section = uint32 check, uint32 check, string type, key fields…, string comment,
///                       padding 1, 2, 3, … to the cipher's block size
enum OpenSSHPrivateKey {
    static let pemLabel = "OPENSSH PRIVATE KEY"
    private static let magic = Array("openssh-key-v1\0".utf8)

    /// Supported ciphers: key length and whether the mode is CTR (else CBC). Go's age accepts
    /// aes256-ctr (ssh-keygen's default) and aes256-cbc; the other AES sizes cost nothing more.
    private static let ciphers: [String: (keyLength: Int, ctr: Bool)] = [
        "aes256-ctr": (32, true), "aes192-ctr": (24, true), "aes128-ctr": (16, true),
        "aes256-cbc": (32, false), "aes192-cbc": (24, false), "aes128-cbc": (16, false),
    ]

    /// What can be read without the passphrase: the clear header, the public key, and the
    /// (possibly encrypted) private section. Reading it checks everything checkable, so a key of
    /// an unsupported type or cipher fails before anyone is asked for a passphrase.
    struct Envelope {
        let cipher: String
        let salt: [UInt8]
        let rounds: Int
        let recipient: any Recipient & SSHPublicKeyHolder
        let section: [UInt8]
        var isEncrypted: Bool { cipher != "none" }
    }

    private static let context = "OpenSSH private key"

    static func envelope(_ blob: [UInt8]) throws -> Envelope {
        guard blob.starts(with: magic) else { throw SSHKeyError.malformedKey("\(context): missing the openssh-key-v1 header") }
        var reader = SSHWireReader(Array(blob[magic.count...]), context: context)
        let cipher = try reader.readText("cipher name")
        let kdf = try reader.readText("KDF name")
        let kdfOptions = try reader.readString("KDF options")
        guard try reader.readUInt32("key count") == 1 else {
            throw SSHKeyError.malformedKey("\(context): files holding several keys are not supported")
        }
        // The embedded public key names the type (and gives the tag) without the passphrase.
        let recipient = try SSHKeys.recipient(fromWire: try reader.readString("public key"), comment: nil)
        let section = try reader.readString("private section")

        if cipher == "none" {
            guard kdf == "none" else { throw SSHKeyError.malformedKey("\(context): KDF \(kdf) without a cipher") }
            return Envelope(cipher: cipher, salt: [], rounds: 0, recipient: recipient, section: section)
        }
        guard ciphers[cipher] != nil else { throw SSHKeyError.unsupportedCipher(cipher) }
        guard kdf == "bcrypt" else { throw SSHKeyError.unsupportedKDF(kdf) }
        guard !section.isEmpty, section.count % 16 == 0 else {
            throw SSHKeyError.malformedKey("\(context): the encrypted section is not a whole number of blocks")
        }
        var options = SSHWireReader(kdfOptions, context: "\(context) bcrypt options")
        let salt = try options.readString("salt")
        let rounds = try options.readUInt32("rounds")
        guard !salt.isEmpty, rounds >= 1, rounds <= BcryptPBKDF.maxRounds else {
            throw SSHKeyError.malformedKey("\(context): bcrypt salt is empty or rounds (\(rounds)) outside 1…\(BcryptPBKDF.maxRounds)")
        }
        return Envelope(cipher: cipher, salt: salt, rounds: Int(rounds), recipient: recipient, section: section)
    }

    /// Parses the binary key (the PEM body), asking for the passphrase only if it is encrypted.
    static func parse(_ blob: [UInt8], passphrase: () throws -> [UInt8]) throws -> any Identity & SSHPublicKeyHolder {
        try open(try envelope(blob), passphrase: passphrase)
    }

    /// Decrypts (when needed) and reads the private section.
    static func open(_ envelope: Envelope, passphrase: () throws -> [UInt8]) throws -> any Identity & SSHPublicKeyHolder {
        let cipher = envelope.cipher
        let publicKey = envelope.recipient.publicKey
        var section = envelope.section
        var blockSize = 8
        if let spec = ciphers[cipher] {
            blockSize = 16
            let secret = try passphrase()
            guard !secret.isEmpty else { throw SSHKeyError.wrongPassphrase }
            let derived = try BcryptPBKDF.deriveKey(password: secret, salt: envelope.salt, rounds: envelope.rounds,
                                                    keyLength: spec.keyLength + 16)
            let key = SymmetricKey(data: derived.prefix(spec.keyLength))
            let iv = Array(derived.suffix(16))
            if spec.ctr {
                section = Array(try AES._CTR.decrypt(section, using: key, nonce: AES._CTR.Nonce(nonceBytes: iv)))
            } else {
                section = Array(try AES._CBC.decrypt(section, using: key, iv: AES._CBC.IV(ivBytes: iv), noPadding: true))
            }
        }

        var body = SSHWireReader(section, context: "\(context) private section")
        guard try body.readUInt32("check word") == (try body.readUInt32("check word")) else {
            // With a cipher, mismatching check words are how OpenSSH itself detects a wrong passphrase.
            throw cipher == "none" ? SSHKeyError.malformedKey("\(context): check words differ") : SSHKeyError.wrongPassphrase
        }
        let type = try body.readText("key type")
        guard type == publicKey.type else { throw SSHKeyError.mismatchedPublicKey }

        let identity: any Identity & SSHPublicKeyHolder
        switch type {
        case "ssh-ed25519":
            let pub = try body.readString("Ed25519 public key")
            let priv = try body.readString("Ed25519 private key")
            let comment = try body.readText("comment")
            guard pub.count == 32, priv.count == 64, Array(priv.suffix(32)) == pub else {
                throw SSHKeyError.malformedKey("\(context): the Ed25519 key fields have the wrong lengths")
            }
            identity = try SSHEd25519Identity(seed: Array(priv.prefix(32)), publicKey: pub, comment: comment)
        case "ssh-rsa":
            let n = try body.readMPInt("RSA modulus")
            let e = try body.readMPInt("RSA public exponent")
            var d = try body.readMPInt("RSA private exponent")
            var qInverse = try body.readMPInt("RSA CRT coefficient")   // derived again by RSAPrivateKey
            var p = try body.readMPInt("RSA prime p")
            var q = try body.readMPInt("RSA prime q")
            defer { wipe(&d); wipe(&qInverse); wipe(&p); wipe(&q) }
            let comment = try body.readText("comment")
            identity = try SSHRSAIdentity(n: n, e: e, d: d, p: p, q: q, comment: comment)
        default:
            throw SSHKeyError.unsupportedKeyType(type)
        }
        guard identity.publicKey.wireBytes == publicKey.wireBytes else { throw SSHKeyError.mismatchedPublicKey }

        // Padding must be exactly 1, 2, 3, … and shorter than a block: anything else is corruption.
        let padding = body.remaining
        guard padding.count < blockSize, padding.enumerated().allSatisfy({ $0.element == UInt8($0.offset + 1) }) else {
            throw SSHKeyError.malformedKey("\(context): bad padding after the key")
        }
        return identity
    }
}
