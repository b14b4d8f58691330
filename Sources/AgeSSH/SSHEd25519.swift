import AgeFormat
import CSodium
import Crypto

// The ssh-ed25519 recipient type: X25519 against the Montgomery form of the Ed25519 key, with
// the shared secret "tweaked" by a second X25519 under a scalar derived from the SSH key. The
// tweak binds the stanza to the SSH public key, not only to its curve point.
//
//   -> ssh-ed25519 TAG B64(E)
//   B64(ChaCha20-Poly1305(HKDF(X25519(tweak, X25519(e, R)), E ‖ R, label), file key))

private let ed25519Label = "age-encryption.org/v1/ssh-ed25519"

/// tweak = HKDF-SHA-256(ikm: empty, salt: SSH wire key, info: label), used as an X25519 scalar.
private func tweak(for publicKey: SSHPublicKey) -> Curve25519.KeyAgreement.PrivateKey {
    let bytes = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: [UInt8]()), salt: publicKey.wireBytes,
                                       info: Array(ed25519Label.utf8), outputByteCount: 32)
    return try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: bytes.withUnsafeBytes { Array($0) })
}

/// X25519 that refuses the all-zero output, which a low-order point produces: swift-crypto
/// ignores BoringSSL's report of it, and age must not derive a key from a value an attacker
/// can force.
private func x25519(_ scalar: Curve25519.KeyAgreement.PrivateKey, _ point: [UInt8]) -> [UInt8]? {
    guard let peer = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: point),
          let shared = try? scalar.sharedSecretFromKeyAgreement(with: peer) else { return nil }
    let bytes = shared.withUnsafeBytes { Array($0) }
    return bytes.reduce(0, |) == 0 ? nil : bytes
}

private func wrapKey(sharedSecret: [UInt8], ephemeral: [UInt8], recipient: [UInt8]) -> SymmetricKey {
    HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: sharedSecret), salt: ephemeral + recipient,
                           info: Array(ed25519Label.utf8), outputByteCount: 32)
}

/// Maps an Ed25519 public key to its X25519 (Montgomery u) form, u = (1 + y) / (1 − y).
/// libsodium does the field arithmetic and refuses encodings that are not points of the prime
/// order subgroup; no key ssh-keygen makes is refused.
func montgomeryPublicKey(fromEd25519 key: [UInt8]) -> [UInt8]? {
    guard key.count == 32, sodium_init() >= 0 else { return nil }
    var u = [UInt8](repeating: 0, count: 32)
    return crypto_sign_ed25519_pk_to_curve25519(&u, key) == 0 ? u : nil
}

/// Encrypts to an `ssh-ed25519` public key.
public struct SSHEd25519Recipient: Recipient, SSHPublicKeyHolder, Sendable {
    public let publicKey: SSHPublicKey
    /// R: the recipient's key on Curve25519.
    let montgomeryKey: [UInt8]

    /// `key` is the raw 32-byte Ed25519 public key.
    init(ed25519Key key: [UInt8], comment: String?) throws {
        var wire = SSHWireWriter()
        wire.writeString("ssh-ed25519")
        wire.writeString(key)
        publicKey = SSHPublicKey(type: "ssh-ed25519", wireBytes: wire.bytes, comment: comment)
        guard let u = montgomeryPublicKey(fromEd25519: key) else {
            throw SSHKeyError.malformedKey("the ssh-ed25519 public key is not a valid Ed25519 point")
        }
        montgomeryKey = u
    }

    public func wrap(_ fileKey: FileKey) throws -> [Stanza] {
        let ephemeral = Curve25519.KeyAgreement.PrivateKey()
        let ephemeralShare = Array(ephemeral.publicKey.rawRepresentation)
        guard let shared = x25519(ephemeral, montgomeryKey),
              let tweaked = x25519(tweak(for: publicKey), shared) else {
            throw SSHKeyError.malformedKey("the ssh-ed25519 public key yields an all-zero shared secret")
        }
        let key = wrapKey(sharedSecret: tweaked, ephemeral: ephemeralShare, recipient: montgomeryKey)
        let sealed = try ChaChaPoly.seal(fileKey.bytes, using: key, nonce: ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12)))
        let body = Array(sealed.ciphertext) + Array(sealed.tag)
        return [Stanza(type: "ssh-ed25519", arguments: [publicKey.tag, AgeBase64.encodeUnpadded(ephemeralShare)], body: body)]
    }
}

/// Decrypts files encrypted to an `ssh-ed25519` key, given its private seed.
public struct SSHEd25519Identity: Identity, SSHPublicKeyHolder, Sendable {
    public let recipient: SSHEd25519Recipient
    public var publicKey: SSHPublicKey { recipient.publicKey }
    /// The X25519 scalar: the first half of SHA-512(seed), which is the Ed25519 secret scalar
    /// before clamping (X25519 clamps it).
    private let scalar: Curve25519.KeyAgreement.PrivateKey

    /// `seed` is the 32-byte Ed25519 private seed, `publicKeyBytes` its 32-byte public key.
    /// Refuses a seed that does not produce that public key.
    init(seed: [UInt8], publicKey publicKeyBytes: [UInt8], comment: String?) throws {
        guard seed.count == 32, publicKeyBytes.count == 32 else {
            throw SSHKeyError.malformedKey("ssh-ed25519 private key has the wrong length")
        }
        let signing = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        guard Array(signing.publicKey.rawRepresentation) == publicKeyBytes else { throw SSHKeyError.mismatchedPublicKey }
        recipient = try SSHEd25519Recipient(ed25519Key: publicKeyBytes, comment: comment)
        scalar = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: Array(SHA512.hash(data: seed).prefix(32)))
        guard Array(scalar.publicKey.rawRepresentation) == recipient.montgomeryKey else { throw SSHKeyError.mismatchedPublicKey }
    }

    /// The native age X25519 identity the TypeScript keyrack derived from this key (its default
    /// recipient: the Montgomery form of the Ed25519 key as a plain `age1…`), whose secret is the
    /// same first half of SHA-512(seed): `keyrack migrate` opens such manifests with it.
    public var derivedAgeIdentity: X25519Identity {
        // The scalar is a valid 32-byte X25519 key by construction (checked in init).
        try! X25519Identity(secretKey: Array(scalar.rawRepresentation))
    }

    public func unwrap(_ stanzas: [Stanza]) throws -> FileKey? {
        for stanza in stanzas where stanza.type == "ssh-ed25519" {
            guard stanza.arguments.count == 2 else {
                throw AgeError.malformedStanza("ssh-ed25519 stanza has \(stanza.arguments.count) arguments, want 2")
            }
            guard let ephemeralShare = AgeBase64.decodeUnpadded(stanza.arguments[1]), ephemeralShare.count == 32 else {
                throw AgeError.malformedStanza("ssh-ed25519 stanza's ephemeral share is not 32 bytes of canonical base64")
            }
            guard stanza.arguments[0] == publicKey.tag else { continue }
            guard stanza.body.count == FileKey.byteCount + 16 else {
                throw AgeError.malformedStanza("ssh-ed25519 stanza body is \(stanza.body.count) bytes, want 32")
            }
            let failed = SSHKeyError.unwrapFailed(keyType: "ssh-ed25519")
            guard let shared = x25519(scalar, ephemeralShare), let tweaked = x25519(tweak(for: publicKey), shared) else {
                throw failed
            }
            let key = wrapKey(sharedSecret: tweaked, ephemeral: ephemeralShare, recipient: recipient.montgomeryKey)
            do {
                let box = try ChaChaPoly.SealedBox(combined: [UInt8](repeating: 0, count: 12) + stanza.body)
                return try FileKey(bytes: Array(ChaChaPoly.open(box, using: key)))
            } catch {
                throw failed
            }
        }
        return nil
    }
}
