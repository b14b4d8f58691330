import AgeFormat
import Crypto

/// The `piv-p256` stanza of age-plugin-yubikey, byte for byte:
///
///     -> piv-p256 B64(tag, 4 B) B64(epk, 33 B compressed)
///     B64(ChaCha20-Poly1305(key, nonce 0, file key))
///
/// with `tag = SHA-256(recipient point, compressed)[0..<4]` and
/// `key = HKDF-SHA-256(ikm: ECDH x-coordinate, salt: epk ‖ recipient, info: "piv-p256")`.
/// The tag lets a card-backed identity skip stanzas that are not its own without touching the card.
public enum PIVP256 {
    public static let stanzaType = "piv-p256"
    static let info = Array("piv-p256".utf8)
    static let zeroNonce = try! ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12))

    /// First four bytes of SHA-256 over the compressed recipient point.
    public static func tag(of compressedPoint: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: compressedPoint).prefix(4))
    }

    /// The wrapping key from an ECDH shared x-coordinate.
    static func wrapKey(sharedX: [UInt8], ephemeral: [UInt8], recipient: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: sharedX), salt: ephemeral + recipient,
                               info: info, outputByteCount: 32)
    }

    /// A structurally valid `piv-p256` stanza, decoded. Invalid ones are errors for the whole file,
    /// as in age-plugin-yubikey ("Invalid YubiKey stanza").
    struct Parsed {
        var tag: [UInt8]
        var ephemeral: P256.KeyAgreement.PublicKey
        var ephemeralCompressed: [UInt8]
        var body: [UInt8]

        init(_ stanza: Stanza) throws {
            guard stanza.arguments.count == 2 else {
                throw AgeError.malformedStanza("piv-p256 stanza must have 2 arguments, has \(stanza.arguments.count)")
            }
            guard stanza.arguments[0].utf8.count == 6, let tag = AgeBase64.decodeUnpadded(stanza.arguments[0]), tag.count == 4 else {
                throw AgeError.malformedStanza("piv-p256 stanza tag is not 4 bytes of canonical base64")
            }
            guard stanza.arguments[1].utf8.count == 44, let epk = AgeBase64.decodeUnpadded(stanza.arguments[1]), epk.count == 33,
                  let point = try? P256.KeyAgreement.PublicKey(compressedRepresentation: epk) else {
                throw AgeError.malformedStanza("piv-p256 stanza share is not a compressed P-256 point")
            }
            guard stanza.body.count == FileKey.byteCount + 16 else {
                throw AgeError.malformedStanza("piv-p256 stanza body is \(stanza.body.count) bytes, want 32")
            }
            self.tag = tag
            self.ephemeral = point
            self.ephemeralCompressed = epk
            self.body = stanza.body
        }

        /// Opens the body with the shared x-coordinate; nil when the AEAD tag fails.
        func open(sharedX: [UInt8], recipient: [UInt8]) throws -> FileKey? {
            let key = PIVP256.wrapKey(sharedX: sharedX, ephemeral: ephemeralCompressed, recipient: recipient)
            let box = try ChaChaPoly.SealedBox(nonce: PIVP256.zeroNonce, ciphertext: body.prefix(16), tag: body.suffix(16))
            guard let plain = try? ChaChaPoly.open(box, using: key) else { return nil }
            return try FileKey(bytes: Array(plain))
        }
    }
}

/// An `age1yubikey1…` recipient: a P-256 public key held by a YubiKey. Wrapping is software only.
public struct PIVP256Recipient: Recipient, Sendable, Hashable, CustomStringConvertible {
    public static let hrp = "age1yubikey"
    /// The 33-byte compressed SEC1 point.
    public let compressedPoint: [UInt8]

    /// From a compressed (33 B) or uncompressed (65 B) point; checks it is on the curve.
    public init(point: [UInt8]) throws {
        let key: P256.KeyAgreement.PublicKey
        do {
            switch point.count {
            case 33: key = try P256.KeyAgreement.PublicKey(compressedRepresentation: point)
            case 65: key = try P256.KeyAgreement.PublicKey(x963Representation: point)
            default: throw AgeError.invalidKey("a P-256 point is 33 or 65 bytes, not \(point.count)")
            }
        } catch let e as AgeError { throw e } catch {
            throw AgeError.invalidKey("not a valid P-256 point")
        }
        compressedPoint = Array(key.compressedRepresentation)
    }

    /// Parses `age1yubikey1…` (compressed point only, as age-plugin-yubikey requires).
    public init(string: String) throws {
        try self.init(point: PIVP256Recipient.compressedPoint(string, hrp: PIVP256Recipient.hrp, kind: "a YubiKey recipient"))
    }

    /// The 33-byte compressed point a Bech32 recipient under `hrp` holds (`age1yubikey`, `age1tag`).
    static func compressedPoint(_ string: String, hrp: String, kind: String) throws -> [UInt8] {
        let decoded: (hrp: String, data: [UInt8])
        do { decoded = try Bech32.decode(string) } catch {
            throw AgeError.invalidKey("malformed \(hrp)1 recipient (bad Bech32 encoding): copy it again from where the card's keys are listed")
        }
        guard decoded.hrp == hrp else {
            throw AgeError.invalidKey("'\(decoded.hrp)1…' is not \(kind) (want \(hrp)1…)")
        }
        guard decoded.data.count == 33, decoded.data[0] == 0x02 || decoded.data[0] == 0x03 else {
            throw AgeError.invalidKey("\(hrp)1 recipient must hold a 33-byte compressed P-256 point")
        }
        return decoded.data
    }

    public var string: String { Bech32.encode(hrp: PIVP256Recipient.hrp, data: compressedPoint) }
    public var description: String { string }
    /// The 4-byte stanza tag that names this recipient.
    public var tag: [UInt8] { PIVP256.tag(of: compressedPoint) }

    public func wrap(_ fileKey: FileKey) throws -> [Stanza] {
        let ephemeral = P256.KeyAgreement.PrivateKey()
        let epk = Array(ephemeral.publicKey.compressedRepresentation)
        let theirs = try P256.KeyAgreement.PublicKey(compressedRepresentation: compressedPoint)
        let shared = try ephemeral.sharedSecretFromKeyAgreement(with: theirs)
        let sharedX = shared.withUnsafeBytes { Array($0) }
        let key = PIVP256.wrapKey(sharedX: sharedX, ephemeral: epk, recipient: compressedPoint)
        let box = try ChaChaPoly.seal(fileKey.bytes, using: key, nonce: PIVP256.zeroNonce)
        return [Stanza(type: PIVP256.stanzaType,
                       arguments: [AgeBase64.encodeUnpadded(tag), AgeBase64.encodeUnpadded(epk)],
                       body: Array(box.ciphertext) + Array(box.tag))]
    }
}
