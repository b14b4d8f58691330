import AgeFormat
import Crypto
import Foundation
import SecretBytes

/// The `p256tag` recipient type of C2SP age.md ("tagged recipient types"), which age ≥ 1.3
/// encrypts to natively: HPKE base mode, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256,
/// ChaCha20-Poly1305, info `age-encryption.org/p256tag`, empty aad.
///
///     -> p256tag B64(tag, 4 B) B64(enc, 65 B uncompressed)
///     B64(HPKE ciphertext of the file key, 32 B)
///
/// with `tag = HKDF-Extract(salt: "age-encryption.org/p256tag", ikm: enc ‖ SHA-256(recipient)[:4])[:4]`.
/// Wrapping uses swift-crypto's HPKE. Unwrapping on a card cannot: the card does the ECDH, and
/// swift-crypto's HPKE wants the private key. So the receiving side of RFC 9180 after the ECDH
/// (DHKEM's ExtractAndExpand, the base-mode key schedule, one AEAD open) is written out here,
/// small and checked against swift-crypto's own sealing in the tests.
public enum P256Tag {
    public static let stanzaType = "p256tag"
    static let info = Array("age-encryption.org/p256tag".utf8)
    static let ciphersuite = HPKE.Ciphersuite(kem: .P256_HKDF_SHA256, kdf: .HKDF_SHA256, aead: .chaChaPoly)

    /// The stanza tag for an encapsulated key and the recipient's compressed point.
    public static func tag(enc: [UInt8], recipient compressed: [UInt8]) -> [UInt8] {
        tag(enc: enc, recipientHash: PIVP256.tag(of: compressed))
    }

    /// The tag as the spec's example stanza was computed, by an earlier draft of age.md:
    /// `HKDF-Extract(salt: label, ikm: enc ‖ recipient uncompressed)[:4]`. Current age, rage and
    /// keyrack write `tag(enc:recipient:)`; an identity that knows its point accepts both.
    public static func draftTag(enc: [UInt8], recipientUncompressed: [UInt8]) -> [UInt8] {
        let prk = HKDF<SHA256>.extract(inputKeyMaterial: SymmetricKey(data: enc + recipientUncompressed), salt: info)
        return Array(prk.withUnsafeBytes { Array($0) }.prefix(4))
    }

    /// The same from `SHA-256(recipient)[:4]`, which is age-plugin-yubikey's tag: so an
    /// `AGE-PLUGIN-YUBIKEY-1…` stub finds its `p256tag` stanzas without reading the card.
    public static func tag(enc: [UInt8], recipientHash: [UInt8]) -> [UInt8] {
        let ikm = enc + recipientHash
        let prk = HKDF<SHA256>.extract(inputKeyMaterial: SymmetricKey(data: ikm), salt: info)
        return Array(prk.withUnsafeBytes { Array($0) }.prefix(4))
    }

    /// Unwraps the `p256tag` stanzas addressed to `recipient` with the ECDH done elsewhere (on a
    /// TPM): `ecdh` gets the stanza's share (uncompressed) and returns the shared x-coordinate,
    /// which is wiped after use. Malformed `p256tag` stanzas fail the file; stanzas for another
    /// key are skipped without calling `ecdh`; nil when none is ours.
    public static func unwrap(_ stanzas: [Stanza], recipient: P256TagRecipient, ecdh: ([UInt8]) throws -> [UInt8]) throws -> FileKey? {
        let uncompressed = recipient.uncompressedPoint
        let mine = try stanzas.filter { $0.type == stanzaType }.map(Parsed.init).filter {
            $0.tag == tag(enc: $0.enc, recipient: recipient.compressedPoint) || $0.tag == draftTag(enc: $0.enc, recipientUncompressed: uncompressed)
        }
        guard !mine.isEmpty else { return nil }
        for parsed in mine {
            var shared = try ecdh(parsed.enc)
            defer { wipe(&shared) }
            if let fileKey = try parsed.open(sharedX: shared, recipientUncompressed: uncompressed) { return fileKey }
        }
        throw AgeError.malformedStanza("a \(stanzaType) stanza for \(recipient.string.prefix(20))… failed to decrypt: the file is corrupted or was tampered with")
    }

    /// A structurally valid `p256tag` stanza (the spec's checks, body length first).
    struct Parsed {
        var tag: [UInt8]
        /// The ephemeral public key, uncompressed (`04 ‖ X ‖ Y`), as HPKE serialises it.
        var enc: [UInt8]
        var body: [UInt8]

        init(_ stanza: Stanza) throws {
            guard stanza.arguments.count == 2 else {
                throw AgeError.malformedStanza("p256tag stanza must have 2 arguments after its type, has \(stanza.arguments.count)")
            }
            guard let tag = AgeBase64.decodeUnpadded(stanza.arguments[0]), tag.count == 4 else {
                throw AgeError.malformedStanza("p256tag stanza tag is not 4 bytes of canonical base64")
            }
            guard let enc = AgeBase64.decodeUnpadded(stanza.arguments[1]), enc.count == 65,
                  (try? P256.KeyAgreement.PublicKey(x963Representation: enc)) != nil else {
                throw AgeError.malformedStanza("p256tag stanza share is not an uncompressed P-256 point")
            }
            guard stanza.body.count == FileKey.byteCount + 16 else {
                throw AgeError.malformedStanza("p256tag stanza body is \(stanza.body.count) bytes, want 32")
            }
            self.tag = tag
            self.enc = enc
            self.body = stanza.body
        }

        /// Opens the body given the ECDH x-coordinate of (recipient key, enc); nil when the AEAD fails.
        func open(sharedX: [UInt8], recipientUncompressed: [UInt8]) throws -> FileKey? {
            var (key, nonce) = P256Tag.keySchedule(dh: sharedX, enc: enc, recipient: recipientUncompressed)
            defer { key = SymmetricKey(data: [UInt8](repeating: 0, count: 32)) }
            let box = try ChaChaPoly.SealedBox(nonce: ChaChaPoly.Nonce(data: nonce), ciphertext: body.prefix(16), tag: body.suffix(16))
            guard let plain = try? ChaChaPoly.open(box, using: key) else { return nil }
            return try FileKey(bytes: Array(plain))
        }
    }

    // MARK: RFC 9180, receiver side after the DH

    static let kemSuite = Array("KEM".utf8) + [0x00, 0x10]
    static let hpkeSuite = Array("HPKE".utf8) + [0x00, 0x10, 0x00, 0x01, 0x00, 0x03]
    static let version = Array("HPKE-v1".utf8)

    static func labeledExtract(_ suite: [UInt8], salt: [UInt8], _ label: String, _ ikm: [UInt8]) -> [UInt8] {
        let prk = HKDF<SHA256>.extract(inputKeyMaterial: SymmetricKey(data: version + suite + Array(label.utf8) + ikm), salt: salt)
        return prk.withUnsafeBytes { Array($0) }
    }

    static func labeledExpand(_ suite: [UInt8], prk: [UInt8], _ label: String, _ info: [UInt8], _ length: Int) -> [UInt8] {
        let labeled = [UInt8(length >> 8), UInt8(length & 0xFF)] + version + suite + Array(label.utf8) + info
        let out = HKDF<SHA256>.expand(pseudoRandomKey: SymmetricKey(data: prk), info: labeled, outputByteCount: length)
        return out.withUnsafeBytes { Array($0) }
    }

    /// DHKEM(P-256) Decap's ExtractAndExpand, then KeySchedule(mode_base): the AEAD key and
    /// base nonce (the first and only message uses the base nonce itself).
    static func keySchedule(dh: [UInt8], enc: [UInt8], recipient: [UInt8]) -> (SymmetricKey, [UInt8]) {
        let eae = labeledExtract(kemSuite, salt: [], "eae_prk", dh)
        let shared = labeledExpand(kemSuite, prk: eae, "shared_secret", enc + recipient, 32)
        let context = [0x00] + labeledExtract(hpkeSuite, salt: [], "psk_id_hash", [])
            + labeledExtract(hpkeSuite, salt: [], "info_hash", info)
        let secret = labeledExtract(hpkeSuite, salt: shared, "secret", [])
        let key = labeledExpand(hpkeSuite, prk: secret, "key", context, 32)
        let nonce = labeledExpand(hpkeSuite, prk: secret, "base_nonce", context, 12)
        return (SymmetricKey(data: key), nonce)
    }
}

/// An `age1tag1…` recipient: a P-256 public key (compressed), here the one in a YubiKey slot.
public struct P256TagRecipient: Recipient, Sendable, Hashable, CustomStringConvertible {
    public static let hrp = "age1tag"
    public let compressedPoint: [UInt8]

    public init(point: [UInt8]) throws {
        compressedPoint = try PIVP256Recipient(point: point).compressedPoint
    }

    /// Parses `age1tag1…` (33-byte compressed point, on the curve).
    public init(string: String) throws {
        try self.init(point: PIVP256Recipient.compressedPoint(string, hrp: P256TagRecipient.hrp, kind: "a tagged P-256 recipient"))
    }

    public var string: String { Bech32.encode(hrp: P256TagRecipient.hrp, data: compressedPoint) }
    public var description: String { string }
    /// The same key as age-plugin-yubikey's `age1yubikey1…` form.
    public var pivP256: PIVP256Recipient { try! PIVP256Recipient(point: compressedPoint) }
    var uncompressedPoint: [UInt8] {
        Array(try! P256.KeyAgreement.PublicKey(compressedRepresentation: compressedPoint).x963Representation)
    }

    public func wrap(_ fileKey: FileKey) throws -> [Stanza] {
        let key = try P256.KeyAgreement.PublicKey(compressedRepresentation: compressedPoint)
        var sender = try HPKE.Sender(recipientKey: key, ciphersuite: P256Tag.ciphersuite, info: Data(P256Tag.info))
        let body = try sender.seal(fileKey.bytes, authenticating: Data())
        let enc = Array(sender.encapsulatedKey)
        return [Stanza(type: P256Tag.stanzaType,
                       arguments: [AgeBase64.encodeUnpadded(P256Tag.tag(enc: enc, recipient: compressedPoint)), AgeBase64.encodeUnpadded(enc)],
                       body: Array(body))]
    }
}
