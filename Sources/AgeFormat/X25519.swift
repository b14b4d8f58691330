import CSodium
import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The native `X25519` recipient type: an ephemeral Diffie-Hellman per stanza, so stanzas are
/// anonymous (they do not say which recipient they are for) and an identity simply tries each.
enum X25519Stanza {
    static let type = "X25519"
    static let label = Array("age-encryption.org/v1/X25519".utf8)
    static let zeroNonce = try! ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12))

    /// `HKDF-SHA-256(ss, salt: ephemeral share ‖ recipient, info: label)`; refuses the all-zero
    /// shared secret, which a low-order point forces and swift-crypto does not reject.
    static func wrapKey(shared: SharedSecret, ephemeral: [UInt8], recipient: [UInt8]) throws -> SymmetricKey {
        try wrapKey(shared: shared.withUnsafeBytes { Array($0) }, ephemeral: ephemeral, recipient: recipient)
    }

    static func wrapKey(shared: [UInt8], ephemeral: [UInt8], recipient: [UInt8]) throws -> SymmetricKey {
        guard shared.count == 32, shared.contains(where: { $0 != 0 }) else {
            throw AgeError.malformedStanza("X25519 share is a low-order point (all-zero shared secret)")
        }
        var key = HKDFSHA256.derive(inputKeyMaterial: shared, salt: ephemeral + recipient, info: label)
        defer { sodium_memzero(&key, key.count) }
        return SymmetricKey(data: key)
    }
}

/// Unwrapping `X25519` stanzas whose private key lives elsewhere (a YubiKey slot): the caller
/// does the Diffie-Hellman with each stanza's ephemeral share, this does the rest of age's
/// X25519 recipient type. `agree` runs once per well-formed stanza until one opens.
public enum X25519Unwrap {
    public static let stanzaType = X25519Stanza.type

    public static func unwrap(_ stanzas: [Stanza], recipient: [UInt8],
                              agree: (_ share: [UInt8]) throws -> [UInt8]) throws -> FileKey? {
        for stanza in stanzas where stanza.type == X25519Stanza.type {
            let share = try checkShape(stanza)
            let key = try X25519Stanza.wrapKey(shared: try agree(share), ephemeral: share, recipient: recipient)
            // Nonce, ciphertext and tag as one `combined` Data built here: swift-crypto's
            // init(nonce:ciphertext:tag:) joins them with a generic `+` whose first use in a
            // process costs two protocol-conformance scans of the whole binary (issue 32).
            var combined = Data(count: 12)
            combined.append(contentsOf: stanza.body)
            let box = try ChaChaPoly.SealedBox(combined: combined)
            // A tag failure means the stanza is for someone else: try the next one.
            guard let fileKey = try? ChaChaPoly.open(box, using: key) else { continue }
            return try FileKey(bytes: Array(fileKey))
        }
        return nil
    }

    /// Shape checks, before any crypto, so a malformed stanza is an error, not a miss. Returns the share.
    @discardableResult
    public static func checkShape(_ stanza: Stanza) throws -> [UInt8] {
        guard stanza.arguments.count == 1 else {
            throw AgeError.malformedStanza("X25519 stanza must have exactly one argument, has \(stanza.arguments.count)")
        }
        guard let share = AgeBase64.decodeUnpadded(stanza.arguments[0]), share.count == 32 else {
            throw AgeError.malformedStanza("X25519 stanza share is not 32 bytes of canonical base64")
        }
        guard stanza.body.count == FileKey.byteCount + 16 else {
            throw AgeError.malformedStanza("X25519 stanza body is \(stanza.body.count) bytes, want 32")
        }
        return share
    }
}

/// An `age1…` public key.
public struct X25519Recipient: Recipient, Sendable, Hashable, CustomStringConvertible {
    public static let hrp = "age"
    /// The 32-byte Curve25519 public key.
    public let publicKey: [UInt8]

    public init(publicKey: [UInt8]) throws {
        guard publicKey.count == 32 else { throw AgeError.invalidKey("X25519 recipient must be 32 bytes, got \(publicKey.count)") }
        self.publicKey = publicKey
    }

    /// Parses `age1…` (Bech32, lowercase as age prints it; uppercase is accepted as Bech32 allows).
    public init(string: String) throws {
        let (hrp, data) = try Bech32.decode(string)
        guard hrp == X25519Recipient.hrp else {
            throw AgeError.invalidKey("'\(hrp)1…' is not an X25519 recipient (want age1…)")
        }
        guard data.count == 32 else { throw AgeError.invalidKey("X25519 recipient must hold 32 bytes, got \(data.count)") }
        try self.init(publicKey: data)
    }

    /// The `age1…` encoding.
    public var string: String { Bech32.encode(hrp: X25519Recipient.hrp, data: publicKey) }
    public var description: String { string }

    public func wrap(_ fileKey: FileKey) throws -> [Stanza] {
        let ephemeral = Curve25519.KeyAgreement.PrivateKey()
        let share = Array(ephemeral.publicKey.rawRepresentation)
        let theirs = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: publicKey)
        let shared = try ephemeral.sharedSecretFromKeyAgreement(with: theirs)
        let key = try X25519Stanza.wrapKey(shared: shared, ephemeral: share, recipient: publicKey)
        let box = try ChaChaPoly.seal(fileKey.bytes, using: key, nonce: X25519Stanza.zeroNonce)
        return [Stanza(type: X25519Stanza.type, arguments: [AgeBase64.encodeUnpadded(share)],
                       body: Array(box.ciphertext) + Array(box.tag))]
    }
}

/// An `AGE-SECRET-KEY-1…` private key.
public struct X25519Identity: Identity, Sendable {
    public static let hrp = "AGE-SECRET-KEY-"
    private let privateKey: Curve25519.KeyAgreement.PrivateKey
    /// The matching recipient.
    public let recipient: X25519Recipient

    /// From 32 secret bytes (clamping happens inside X25519, as the spec intends).
    public init(secretKey: [UInt8]) throws {
        guard secretKey.count == 32 else { throw AgeError.invalidKey("X25519 identity must be 32 bytes") }
        try self.init(privateKey: Curve25519.KeyAgreement.PrivateKey(rawRepresentation: secretKey))
    }

    private init(privateKey: Curve25519.KeyAgreement.PrivateKey) throws {
        self.privateKey = privateKey
        recipient = try X25519Recipient(publicKey: Array(privateKey.publicKey.rawRepresentation))
    }

    /// Parses `AGE-SECRET-KEY-1…`. The error never repeats the string: it is a secret.
    public init(string: String) throws {
        let decoded: (hrp: String, data: [UInt8])
        do { decoded = try Bech32.decode(string) } catch {
            throw AgeError.invalidKey("malformed AGE-SECRET-KEY-1 identity (bad Bech32 encoding)")
        }
        guard decoded.hrp == X25519Identity.hrp.lowercased() else {
            throw AgeError.invalidKey("not an X25519 identity (want AGE-SECRET-KEY-1…)")
        }
        guard decoded.data.count == 32 else { throw AgeError.invalidKey("X25519 identity must hold 32 bytes") }
        try self.init(secretKey: decoded.data)
    }

    /// A fresh random identity, as `age-keygen` makes.
    public static func generate() -> X25519Identity {
        try! X25519Identity(privateKey: Curve25519.KeyAgreement.PrivateKey())
    }

    /// The `AGE-SECRET-KEY-1…` encoding (uppercase, as age prints it). Handle as a secret.
    public var string: String { Bech32.encode(hrp: X25519Identity.hrp, data: Array(privateKey.rawRepresentation)) }

    public func unwrap(_ stanzas: [Stanza]) throws -> FileKey? {
        try X25519Unwrap.unwrap(stanzas, recipient: recipient.publicKey) { share in
            try privateKey.sharedSecretFromKeyAgreement(with: Curve25519.KeyAgreement.PublicKey(rawRepresentation: share))
                .withUnsafeBytes { Array($0) }
        }
    }
}
