import AgeFormat

// The ssh-rsa recipient type: the file key encrypted with RSAES-OAEP (SHA-256, MGF1-SHA-256) under
// the label below. The label keeps these ciphertexts from being valid in any other protocol that
// uses the same RSA key. The RSA itself is libcrypto's (RSAOAEP.swift).
//
//   -> ssh-rsa TAG
//   B64(RSAES-OAEP-Encrypt(key, file key, label))

private let rsaLabel = Array("age-encryption.org/v1/ssh-rsa".utf8)

/// Bounds on RSA keys, as golang.org/x/crypto/ssh and age apply them.
enum RSAKeyLimits {
    static let minimumBits = 2048
    static let maximumBits = 16384

    /// Checks a public key's exponent and modulus; returns the modulus size in bits.
    static func check(modulus n: [UInt8], exponent e: [UInt8]) throws -> Int {
        guard let top = n.first, top != 0, let last = n.last, last & 1 == 1 else {
            throw SSHKeyError.malformedKey("the ssh-rsa modulus is not a valid RSA modulus")
        }
        guard e.count <= 3, let eLast = e.last, eLast & 1 == 1, e.count > 1 || eLast >= 3 else {
            throw SSHKeyError.malformedKey("the ssh-rsa public exponent is not odd, at least 3 and at most 24 bits")
        }
        let bits = n.count * 8 - top.leadingZeroBitCount
        guard bits >= minimumBits else { throw SSHKeyError.rsaKeyTooSmall(bits: bits) }
        guard bits <= maximumBits else {
            throw SSHKeyError.malformedKey("the ssh-rsa key is \(bits) bits, more than the \(maximumBits) supported")
        }
        return bits
    }
}

/// Encrypts to an `ssh-rsa` public key.
public struct SSHRSARecipient: Recipient, SSHPublicKeyHolder, Sendable {
    public let publicKey: SSHPublicKey
    private let modulus: [UInt8]
    private let exponent: [UInt8]

    /// Size of the modulus in bits.
    public let bitCount: Int

    /// `modulus` and `exponent` are big-endian magnitudes (mpint contents).
    init(modulus: [UInt8], exponent: [UInt8], comment: String?) throws {
        let n = Array(modulus.drop(while: { $0 == 0 }))
        let e = Array(exponent.drop(while: { $0 == 0 }))
        bitCount = try RSAKeyLimits.check(modulus: n, exponent: e)
        self.modulus = n
        self.exponent = e
        var wire = SSHWireWriter()
        wire.writeString("ssh-rsa")
        wire.writeMPInt(e)
        wire.writeMPInt(n)
        publicKey = SSHPublicKey(type: "ssh-rsa", wireBytes: wire.bytes, comment: comment)
    }

    public func wrap(_ fileKey: FileKey) throws -> [Stanza] {
        guard let body = RSAOAEP.encrypt(fileKey.bytes, modulus: modulus, exponent: exponent, label: rsaLabel) else {
            // RSAKeyLimits admitted the key, so only a libcrypto that cannot do RSA-OAEP gets here.
            throw SSHKeyError.malformedKey("libcrypto could not encrypt to this ssh-rsa key: check the OpenSSL installation (openssl version)")
        }
        return [Stanza(type: "ssh-rsa", arguments: [publicKey.tag], body: body)]
    }
}

/// Decrypts files encrypted to an `ssh-rsa` key.
public struct SSHRSAIdentity: Identity, SSHPublicKeyHolder, Sendable {
    public let recipient: SSHRSARecipient
    public var publicKey: SSHPublicKey { recipient.publicKey }
    /// libcrypto's RSA key (blinded, constant-time private operation and OAEP check).
    private let privateKey: RSAPrivateKey

    /// Builds the key from its components (big-endian magnitudes), checked for consistency
    /// (p·q = n, d inverts e), so a corrupted key file fails here, not at decryption.
    init(n: [UInt8], e: [UInt8], d: [UInt8], p: [UInt8], q: [UInt8], comment: String?) throws {
        recipient = try SSHRSARecipient(modulus: n, exponent: e, comment: comment)
        do {
            privateKey = try RSAPrivateKey(n: n, e: e, d: d, p: p, q: q)
        } catch {
            throw SSHKeyError.malformedKey("the ssh-rsa private key's components are inconsistent")
        }
    }

    public func unwrap(_ stanzas: [Stanza]) throws -> FileKey? {
        for stanza in stanzas where stanza.type == "ssh-rsa" {
            guard stanza.arguments.count == 1 else {
                throw AgeError.malformedStanza("ssh-rsa stanza has \(stanza.arguments.count) arguments, want 1")
            }
            guard stanza.arguments[0] == publicKey.tag else { continue }
            return try decrypt(stanza.body)
        }
        return nil
    }

    /// RSA-OAEP decryption with age's label. Every failure, from a ciphertext of the wrong size
    /// to bad padding, is the same error.
    private func decrypt(_ ciphertext: [UInt8]) throws -> FileKey {
        let failed = SSHKeyError.unwrapFailed(keyType: "ssh-rsa")
        guard let message = privateKey.decrypt(ciphertext, label: rsaLabel),
              message.count == FileKey.byteCount,
              let fileKey = try? FileKey(bytes: message) else { throw failed }
        return fileKey
    }
}
