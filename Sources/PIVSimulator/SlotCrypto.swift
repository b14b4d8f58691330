// The private-key operations of a slot: key generation and import, ECDH, ECDSA over a digest
// the host computed. P-256 and P-384 (swift-crypto); RSA slots are not simulated.

import Crypto

enum SlotCrypto {
    static func isSupported(_ algorithm: UInt8) -> Bool {
        algorithm == PIVAlgorithm.eccP256 || algorithm == PIVAlgorithm.eccP384
    }

    /// Field size in bytes: the ECDH output length and the largest digest accepted for signing.
    static func fieldSize(_ algorithm: UInt8) -> Int { algorithm == PIVAlgorithm.eccP384 ? 48 : 32 }

    static func generate(_ algorithm: UInt8) throws -> [UInt8] {
        switch algorithm {
        case PIVAlgorithm.eccP256: return [UInt8](P256.KeyAgreement.PrivateKey().rawRepresentation)
        case PIVAlgorithm.eccP384: return [UInt8](P384.KeyAgreement.PrivateKey().rawRepresentation)
        default: throw StatusWord.incorrectData
        }
    }

    /// Validates an imported scalar (right length, in range) and returns it.
    static func validateScalar(_ scalar: [UInt8], algorithm: UInt8) throws -> [UInt8] {
        do {
            switch algorithm {
            case PIVAlgorithm.eccP256: return [UInt8](try P256.KeyAgreement.PrivateKey(rawRepresentation: scalar).rawRepresentation)
            case PIVAlgorithm.eccP384: return [UInt8](try P384.KeyAgreement.PrivateKey(rawRepresentation: scalar).rawRepresentation)
            default: throw StatusWord.incorrectData
            }
        } catch { throw StatusWord.incorrectData }
    }

    /// Uncompressed public point `04 ‖ X ‖ Y`.
    static func publicPoint(of key: SlotKey) throws -> [UInt8] {
        let raw = [UInt8](hex: key.privateKey) ?? []
        do {
            switch key.algorithm {
            case PIVAlgorithm.eccP256: return [UInt8](try P256.KeyAgreement.PrivateKey(rawRepresentation: raw).publicKey.x963Representation)
            case PIVAlgorithm.eccP384: return [UInt8](try P384.KeyAgreement.PrivateKey(rawRepresentation: raw).publicKey.x963Representation)
            default: throw StatusWord.incorrectData
            }
        } catch { throw StatusWord.incorrectData }
    }

    /// ECDH with a peer point; returns the shared X coordinate (what PIV cards return).
    static func agree(_ key: SlotKey, peer: [UInt8]) throws -> [UInt8] {
        let raw = [UInt8](hex: key.privateKey) ?? []
        do {
            switch key.algorithm {
            case PIVAlgorithm.eccP256:
                let secret = try P256.KeyAgreement.PrivateKey(rawRepresentation: raw)
                    .sharedSecretFromKeyAgreement(with: P256.KeyAgreement.PublicKey(x963Representation: peer))
                return secret.withUnsafeBytes { [UInt8]($0) }
            case PIVAlgorithm.eccP384:
                let secret = try P384.KeyAgreement.PrivateKey(rawRepresentation: raw)
                    .sharedSecretFromKeyAgreement(with: P384.KeyAgreement.PublicKey(x963Representation: peer))
                return secret.withUnsafeBytes { [UInt8]($0) }
            default: throw StatusWord.incorrectData
            }
        } catch { throw StatusWord.incorrectData }
    }

    /// ECDSA over a host-supplied digest (left-padded to the field size); DER signature.
    static func sign(_ key: SlotKey, digest: [UInt8]) throws -> [UInt8] {
        let size = fieldSize(key.algorithm)
        guard digest.count <= size else { throw StatusWord.incorrectData }
        let padded = [UInt8](repeating: 0, count: size - digest.count) + digest
        let raw = [UInt8](hex: key.privateKey) ?? []
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
