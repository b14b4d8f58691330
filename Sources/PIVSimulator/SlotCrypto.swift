// The private-key operations of a slot: key generation and import, ECDH, ECDSA over a digest
// the host computed, Ed25519 over the message. P-256, P-384, and on firmware 5.7 Ed25519 and
// X25519 (swift-crypto); RSA slots are not simulated.

import Crypto

enum SlotCrypto {
    /// Key types this card generates and imports: P-256 and P-384 always, Ed25519 and X25519
    /// from firmware 5.7 (a 5.4 card answers 6A80 to them, as a real one does).
    static func isSupported(_ algorithm: UInt8, on firmware: Firmware) -> Bool {
        switch algorithm {
        case PIVAlgorithm.eccP256, PIVAlgorithm.eccP384: return true
        case PIVAlgorithm.ed25519, PIVAlgorithm.x25519: return firmware.hasCurve25519
        default: return false
        }
    }

    /// Field size in bytes: the ECDH output length and the largest digest accepted for signing.
    static func fieldSize(_ algorithm: UInt8) -> Int { algorithm == PIVAlgorithm.eccP384 ? 48 : 32 }

    /// The peer key GENERAL AUTHENTICATE takes for ECDH (tag 85): an uncompressed point for the
    /// NIST curves, the raw 32-byte u-coordinate for X25519; nil where the key cannot do ECDH.
    static func peerKeyLength(_ algorithm: UInt8) -> Int? {
        switch algorithm {
        case PIVAlgorithm.eccP256, PIVAlgorithm.eccP384: return 1 + 2 * fieldSize(algorithm)
        case PIVAlgorithm.x25519: return 32
        default: return nil
        }
    }

    static func generate(_ algorithm: UInt8) throws -> [UInt8] {
        switch algorithm {
        case PIVAlgorithm.eccP256: return [UInt8](P256.KeyAgreement.PrivateKey().rawRepresentation)
        case PIVAlgorithm.eccP384: return [UInt8](P384.KeyAgreement.PrivateKey().rawRepresentation)
        case PIVAlgorithm.ed25519: return [UInt8](Curve25519.Signing.PrivateKey().rawRepresentation)
        case PIVAlgorithm.x25519: return [UInt8](Curve25519.KeyAgreement.PrivateKey().rawRepresentation)
        default: throw StatusWord.incorrectData
        }
    }

    /// The IMPORT tag carrying the private key: 06 EC scalar, 07 Ed25519 seed, 08 X25519 scalar.
    static func importTag(_ algorithm: UInt8) -> UInt32 {
        switch algorithm {
        case PIVAlgorithm.ed25519: return 0x07
        case PIVAlgorithm.x25519: return 0x08
        default: return 0x06
        }
    }

    /// Validates an imported private key (right length, in range) and returns it.
    static func validateScalar(_ scalar: [UInt8], algorithm: UInt8) throws -> [UInt8] {
        do {
            switch algorithm {
            case PIVAlgorithm.eccP256: return [UInt8](try P256.KeyAgreement.PrivateKey(rawRepresentation: scalar).rawRepresentation)
            case PIVAlgorithm.eccP384: return [UInt8](try P384.KeyAgreement.PrivateKey(rawRepresentation: scalar).rawRepresentation)
            case PIVAlgorithm.ed25519: return [UInt8](try Curve25519.Signing.PrivateKey(rawRepresentation: scalar).rawRepresentation)
            case PIVAlgorithm.x25519: return [UInt8](try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: scalar).rawRepresentation)
            default: throw StatusWord.incorrectData
            }
        } catch { throw StatusWord.incorrectData }
    }

    /// The public key as tag 86 carries it: `04 ‖ X ‖ Y` for the NIST curves, 32 raw bytes for
    /// Ed25519 and X25519.
    static func publicPoint(of key: SlotKey) throws -> [UInt8] {
        let raw = [UInt8](hex: key.privateKey) ?? []
        do {
            switch key.algorithm {
            case PIVAlgorithm.eccP256: return [UInt8](try P256.KeyAgreement.PrivateKey(rawRepresentation: raw).publicKey.x963Representation)
            case PIVAlgorithm.eccP384: return [UInt8](try P384.KeyAgreement.PrivateKey(rawRepresentation: raw).publicKey.x963Representation)
            case PIVAlgorithm.ed25519: return [UInt8](try Curve25519.Signing.PrivateKey(rawRepresentation: raw).publicKey.rawRepresentation)
            case PIVAlgorithm.x25519: return [UInt8](try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw).publicKey.rawRepresentation)
            default: throw StatusWord.incorrectData
            }
        } catch { throw StatusWord.incorrectData }
    }

    /// ECDH with a peer key; returns the shared secret (the X coordinate for the NIST curves,
    /// what PIV cards return; the X25519 output for X25519).
    static func agree(_ key: SlotKey, peer: [UInt8]) throws -> [UInt8] {
        let raw = [UInt8](hex: key.privateKey) ?? []
        do {
            let secret: SharedSecret
            switch key.algorithm {
            case PIVAlgorithm.eccP256:
                secret = try P256.KeyAgreement.PrivateKey(rawRepresentation: raw)
                    .sharedSecretFromKeyAgreement(with: P256.KeyAgreement.PublicKey(x963Representation: peer))
            case PIVAlgorithm.eccP384:
                secret = try P384.KeyAgreement.PrivateKey(rawRepresentation: raw)
                    .sharedSecretFromKeyAgreement(with: P384.KeyAgreement.PublicKey(x963Representation: peer))
            case PIVAlgorithm.x25519:
                secret = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw)
                    .sharedSecretFromKeyAgreement(with: Curve25519.KeyAgreement.PublicKey(rawRepresentation: peer))
            default: throw StatusWord.incorrectData
            }
            let bytes = secret.withUnsafeBytes { [UInt8]($0) }
            // A low-order X25519 peer yields all zeros (RFC 7748 §6.1); refused rather than
            // returned (what a real 5.7 does here is unverified; hosts must check it anyway).
            guard bytes.contains(where: { $0 != 0 }) else { throw StatusWord.incorrectData }
            return bytes
        } catch { throw StatusWord.incorrectData }
    }

    /// Signs what the host sent in tag 81: for ECDSA a digest it computed (left-padded to the
    /// field size; DER signature), for Ed25519 the whole message (64-byte signature).
    static func sign(_ key: SlotKey, message: [UInt8]) throws -> [UInt8] {
        let raw = [UInt8](hex: key.privateKey) ?? []
        if key.algorithm == PIVAlgorithm.ed25519 {
            do { return [UInt8](try Curve25519.Signing.PrivateKey(rawRepresentation: raw).signature(for: message)) }
            catch { throw StatusWord.incorrectData }
        }
        let size = fieldSize(key.algorithm)
        guard message.count <= size else { throw StatusWord.incorrectData }
        let padded = [UInt8](repeating: 0, count: size - message.count) + message
        do {
            switch key.algorithm {
            case PIVAlgorithm.eccP256:
                return [UInt8](try P256.Signing.PrivateKey(rawRepresentation: raw)
                    .signature(for: PrecomputedDigest32(bytes: padded)).derRepresentation)
            case PIVAlgorithm.eccP384:
                return [UInt8](try P384.Signing.PrivateKey(rawRepresentation: raw)
                    .signature(for: PrecomputedDigest48(bytes: padded)).derRepresentation)
            default: throw StatusWord.incorrectData
            }
        } catch { throw StatusWord.incorrectData }
    }
}

/// A digest computed elsewhere (by the host), so swift-crypto signs it as is.
struct PrecomputedDigest32: Digest {
    static var byteCount: Int { 32 }
    let bytes: [UInt8]
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try bytes.withUnsafeBytes(body) }
    func makeIterator() -> IndexingIterator<[UInt8]> { bytes.makeIterator() }
    var description: String { "PrecomputedDigest32" }
}

struct PrecomputedDigest48: Digest {
    static var byteCount: Int { 48 }
    let bytes: [UInt8]
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try bytes.withUnsafeBytes(body) }
    func makeIterator() -> IndexingIterator<[UInt8]> { bytes.makeIterator() }
    var description: String { "PrecomputedDigest48" }
}
