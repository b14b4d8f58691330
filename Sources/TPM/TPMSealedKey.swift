import CTSS2

/// An owner's key as the TPM hands it out: its public area and its private area sealed (wrapped)
/// by the storage root key, so only this TPM can load it again; plus the root key's name, so a
/// key from another TPM is told apart before the TPM is asked. All three in the TPM's own wire
/// form (TPM2B_PUBLIC, TPM2B_PRIVATE, TPM2B_NAME, size-prefixed), as tpm2-tools and
/// age-plugin-tpm store them. Nothing here is secret to anyone without this TPM.
public struct TPMSealedKey: Equatable, Sendable {
    public var publicBlob: [UInt8]
    public var privateBlob: [UInt8]
    public var parentName: [UInt8]
    /// The key has an authValue (a PIN) to present on every use.
    public var hasPIN: Bool
    /// The public key, uncompressed (`04 ‖ X ‖ Y`).
    public let point: [UInt8]

    public init(publicBlob: [UInt8], privateBlob: [UInt8], parentName: [UInt8], hasPIN: Bool) throws {
        self.publicBlob = publicBlob
        self.privateBlob = privateBlob
        self.parentName = parentName
        self.hasPIN = hasPIN
        let pub = try TPMSealedKey.unmarshalPublic(publicBlob)
        guard pub.publicArea.type == TPMConst.algECC, pub.publicArea.parameters.eccDetail.curveID == TPMConst.curveP256 else {
            throw TPMError.malformedKey("not a P-256 key")
        }
        let x = pub.publicArea.unique.ecc.x, y = pub.publicArea.unique.ecc.y
        guard x.size == 32, y.size == 32 else { throw TPMError.malformedKey("the public point is not 2 × 32 bytes") }
        point = [0x04] + bytes(of: x.buffer, count: 32) + bytes(of: y.buffer, count: 32)
        _ = try TPMSealedKey.unmarshalPrivate(privateBlob)
    }

    static func unmarshalPublic(_ blob: [UInt8]) throws -> TPM2B_PUBLIC {
        try unmarshal(blob, into: TPM2B_PUBLIC(), what: "public area", with: Tss2_MU_TPM2B_PUBLIC_Unmarshal)
    }

    static func unmarshalPrivate(_ blob: [UInt8]) throws -> TPM2B_PRIVATE {
        try unmarshal(blob, into: TPM2B_PRIVATE(), what: "private area", with: Tss2_MU_TPM2B_PRIVATE_Unmarshal)
    }

    static func marshal(_ value: TPM2B_PUBLIC) -> [UInt8] { marshal(value, with: Tss2_MU_TPM2B_PUBLIC_Marshal) }
    static func marshal(_ value: TPM2B_PRIVATE) -> [UInt8] { marshal(value, with: Tss2_MU_TPM2B_PRIVATE_Marshal) }
    static func marshal(_ value: TPM2B_NAME) -> [UInt8] { marshal(value, with: Tss2_MU_TPM2B_NAME_Marshal) }

    // libtss2's MU functions differ only in the type they take: one copy of the calling
    // convention (a buffer the size of the C struct, the offset it ends at; a blob that must
    // parse to its last byte) for the three TPM2B kinds above.

    private static func unmarshal<T>(_ blob: [UInt8], into empty: T, what: String,
                                     with unmarshal: (UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<Int>?, UnsafeMutablePointer<T>?) -> TSS2_RC) throws -> T {
        var out = empty
        var offset = 0
        guard unmarshal(blob, blob.count, &offset, &out) == TSS2_RC_SUCCESS, offset == blob.count else {
            throw TPMError.malformedKey("the \(what) does not parse")
        }
        return out
    }

    private static func marshal<T>(_ value: T, with marshal: (UnsafePointer<T>?, UnsafeMutablePointer<UInt8>?, Int, UnsafeMutablePointer<Int>?) -> TSS2_RC) -> [UInt8] {
        var v = value
        var buffer = [UInt8](repeating: 0, count: MemoryLayout<T>.size + 2)
        var offset = 0
        _ = marshal(&v, &buffer, buffer.count, &offset)
        return Array(buffer.prefix(offset))
    }
}
