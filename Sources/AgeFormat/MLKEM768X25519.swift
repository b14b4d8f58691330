import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// The post-quantum hybrid recipient type, `mlkem768x25519` (X-Wing: ML-KEM-768 + X25519).
//
//     recipient  age1pq1…              bech32 of the 1216-byte X-Wing public key
//     identity   AGE-SECRET-KEY-PQ-1…  bech32 of the 32-byte X-Wing seed
//     stanza     -> mlkem768x25519 <base64 enc, 1120 bytes>
//                <HPKE SealBase ciphertext of the file key, 32 bytes>
//
// HPKE (RFC 9180) base mode with KEM X-Wing (0x647a), KDF HKDF-SHA256, AEAD ChaCha20-Poly1305,
// info "age-encryption.org/mlkem768x25519", empty aad. swift-crypto provides all of it; this file
// only maps age's encodings and rules onto it.
//
// A file stays quantum-safe only if *every* stanza is: one classic X25519 stanza beside a hybrid
// one would let a future quantum attacker take the file key from the weaker stanza. So hybrid
// recipients carry the label `postquantum`, and a file cannot mix them with classic ones.

enum MLKEM768X25519Format {
    static let stanzaType = "mlkem768x25519"
    static let recipientHRP = "age1pq"
    static let identityHRP = "AGE-SECRET-KEY-PQ-"
    static let seedSize = 32
    static let publicKeySize = 1216  // ML-KEM-768 encapsulation key (1184) || X25519 point (32)
    static let encSize = 1120        // ML-KEM-768 ciphertext (1088) || X25519 share (32)
    static let bodySize = FileKey.byteCount + 16
    static let info = Data("age-encryption.org/mlkem768x25519".utf8)
    static let ciphersuite = HPKE.Ciphersuite(kem: .XWingMLKEM768X25519, kdf: .HKDF_SHA256, aead: .chaChaPoly)
    static let label = "postquantum"
}

/// A post-quantum hybrid public key (`age1pq1…`). Files encrypted to it open with the matching
/// `MLKEM768X25519Identity`, by this library or by age 1.3+.
public struct MLKEM768X25519Recipient: Recipient, Sendable, Equatable, CustomStringConvertible {
    let publicKey: XWingMLKEM768X25519.PublicKey
    /// The raw 1216-byte X-Wing public key.
    public let rawRepresentation: [UInt8]

    /// Parses an `age1pq1…` string (all lowercase or all uppercase).
    public init(string: String) throws {
        let (hrp, data) = try Bech32.decode(string)
        guard hrp == MLKEM768X25519Format.recipientHRP else {
            throw AgeError.invalidKey("not a post-quantum age recipient: want the prefix age1pq1, got \(hrp)1")
        }
        try self.init(rawRepresentation: data)
    }

    /// Wraps a raw 1216-byte X-Wing public key.
    public init(rawRepresentation: [UInt8]) throws {
        guard rawRepresentation.count == MLKEM768X25519Format.publicKeySize else {
            throw AgeError.invalidKey("post-quantum recipient is \(rawRepresentation.count) bytes, want \(MLKEM768X25519Format.publicKeySize)")
        }
        do {
            publicKey = try XWingMLKEM768X25519.PublicKey(rawRepresentation: rawRepresentation)
        } catch {
            throw AgeError.invalidKey("post-quantum recipient is not a valid ML-KEM-768 + X25519 public key")
        }
        self.rawRepresentation = rawRepresentation
    }

    init(publicKey: XWingMLKEM768X25519.PublicKey) {
        self.publicKey = publicKey
        self.rawRepresentation = [UInt8](publicKey.rawRepresentation)
    }

    /// The `age1pq1…` encoding. Long (about 1950 characters): Bech32 without the 90-character limit.
    public var string: String { Bech32.encode(hrp: MLKEM768X25519Format.recipientHRP, data: rawRepresentation) }
    public var description: String { string }

    public var labels: Set<String> { [MLKEM768X25519Format.label] }

    public func wrap(_ fileKey: FileKey) throws -> [Stanza] {
        var sender = try HPKE.Sender(recipientKey: publicKey, ciphersuite: MLKEM768X25519Format.ciphersuite,
                                     info: MLKEM768X25519Format.info)
        let sealed = try sender.seal(fileKey.bytes, authenticating: Data())
        return [Stanza(type: MLKEM768X25519Format.stanzaType,
                       arguments: [AgeBase64.encodeUnpadded([UInt8](sender.encapsulatedKey))],
                       body: [UInt8](sealed))]
    }

    public static func == (a: Self, b: Self) -> Bool { a.rawRepresentation == b.rawRepresentation }
}

/// A post-quantum hybrid private key (`AGE-SECRET-KEY-PQ-1…`): a 32-byte seed that X-Wing expands
/// (SHAKE-256) into the ML-KEM-768 and X25519 private keys.
public struct MLKEM768X25519Identity: Identity, Sendable {
    private let seed: [UInt8]
    private let privateKey: XWingMLKEM768X25519.PrivateKey

    /// A fresh identity from the system CSPRNG.
    public static func generate() -> MLKEM768X25519Identity {
        var rng = SystemRandomNumberGenerator()
        let seed = (0..<MLKEM768X25519Format.seedSize).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        return try! MLKEM768X25519Identity(seed: seed)
    }

    /// Parses an `AGE-SECRET-KEY-PQ-1…` string.
    public init(string: String) throws {
        let (hrp, data) = try Bech32.decode(string)
        guard hrp == MLKEM768X25519Format.identityHRP.lowercased() else {
            throw AgeError.invalidKey("not a post-quantum age identity: want the prefix AGE-SECRET-KEY-PQ-1")
        }
        try self.init(seed: data)
    }

    /// Builds the identity from its 32-byte seed.
    public init(seed: [UInt8]) throws {
        guard seed.count == MLKEM768X25519Format.seedSize else {
            throw AgeError.invalidKey("post-quantum identity is \(seed.count) bytes, want \(MLKEM768X25519Format.seedSize)")
        }
        do {
            privateKey = try XWingMLKEM768X25519.PrivateKey(seedRepresentation: seed, publicKey: nil)
        } catch {
            throw AgeError.invalidKey("post-quantum identity seed was rejected by X-Wing key expansion")
        }
        self.seed = seed
    }

    /// The matching `age1pq1…` recipient.
    public var recipient: MLKEM768X25519Recipient { MLKEM768X25519Recipient(publicKey: privateKey.publicKey) }

    /// The `AGE-SECRET-KEY-PQ-1…` encoding (uppercase, as age-keygen prints it). Secret: write it
    /// only to a 0600 file, never to a log.
    public var string: String { Bech32.encode(hrp: MLKEM768X25519Format.identityHRP, data: seed) }

    /// Returns the file key from the first `mlkem768x25519` stanza that opens. Stanzas of other
    /// types are ignored; a malformed hybrid stanza aborts, as the spec demands; a stanza for
    /// another key (the AEAD does not open) is skipped.
    public func unwrap(_ stanzas: [Stanza]) throws -> FileKey? {
        for stanza in stanzas where stanza.type == MLKEM768X25519Format.stanzaType {
            guard stanza.arguments.count == 1 else {
                throw AgeError.malformedStanza("mlkem768x25519 stanza has \(stanza.arguments.count) arguments, want 1 (the encapsulated key)")
            }
            guard let enc = AgeBase64.decodeUnpadded(stanza.arguments[0]), enc.count == MLKEM768X25519Format.encSize else {
                throw AgeError.malformedStanza("mlkem768x25519 encapsulated key is not canonical base64 of \(MLKEM768X25519Format.encSize) bytes")
            }
            // Checked before any decryption: a longer body would let an attacker probe many keys
            // with one crafted ciphertext (partitioning oracles).
            guard stanza.body.count == MLKEM768X25519Format.bodySize else {
                throw AgeError.malformedStanza("mlkem768x25519 stanza body is \(stanza.body.count) bytes, want \(MLKEM768X25519Format.bodySize)")
            }
            // X-Wing itself does not reject a low-order X25519 share, but age does: with it the
            // X25519 half contributes nothing and only ML-KEM protects the key.
            guard !Self.isLowOrderX25519(Array(enc.suffix(32))) else {
                throw AgeError.malformedStanza("mlkem768x25519 stanza's X25519 share is a low-order point (all-zero shared secret)")
            }
            let fileKey: Data
            do {
                var opener = try HPKE.Recipient(privateKey: privateKey, ciphersuite: MLKEM768X25519Format.ciphersuite,
                                                info: MLKEM768X25519Format.info, encapsulatedKey: Data(enc))
                fileKey = try opener.open(stanza.body, authenticating: Data())
            } catch {
                continue  // not for this identity (ML-KEM's implicit rejection lands here too)
            }
            return try FileKey(bytes: [UInt8](fileKey))
        }
        return nil
    }

    /// True when `share` has order dividing 8: then X25519 with *any* clamped scalar (a multiple
    /// of the cofactor) is all zero, so testing with a throwaway scalar decides it exactly as
    /// testing with the identity's own X25519 key would, without reaching inside X-Wing's key.
    static func isLowOrderX25519(_ share: [UInt8]) -> Bool {
        guard let point = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: share),
              let secret = try? Curve25519.KeyAgreement.PrivateKey().sharedSecretFromKeyAgreement(with: point) else {
            return true
        }
        return secret.withUnsafeBytes { raw in raw.allSatisfy { $0 == 0 } }
    }
}
