import CTSS2

/// The two object templates keyrack asks the TPM for.
enum TPMTemplates {
    /// The TCG's standard ECC storage root key ("TCG TPM v2.0 Provisioning Guidance", 7.5.1:
    /// P-256, AES-128-CFB, restricted decrypt, noDA, unique = two 32-byte zero coordinates). It is
    /// created as a primary under the owner hierarchy on every use and never persisted: the same
    /// template on the same TPM derives the same key from the owner seed, so nothing is written
    /// into the TPM's scarce NV, no owner authorisation is needed for EvictControl, and the
    /// sealed key opens on exactly this TPM until its owner hierarchy is cleared. age-plugin-tpm
    /// (go-tpm's ECCSRKTemplate) derives this very key, so its blobs load under ours and ours
    /// under its. Deriving it costs one CreatePrimary per operation (tens of ms on a chip).
    static var storageRootKey: TPM2B_PUBLIC {
        var pub = TPM2B_PUBLIC()
        pub.publicArea.type = TPMConst.algECC
        pub.publicArea.nameAlg = TPMConst.algSHA256
        pub.publicArea.objectAttributes = TPMConst.fixedTPM | TPMConst.fixedParent | TPMConst.sensitiveDataOrigin
            | TPMConst.userWithAuth | TPMConst.noDA | TPMConst.restricted | TPMConst.decrypt
        pub.publicArea.parameters.eccDetail.symmetric.algorithm = TPMConst.algAES
        pub.publicArea.parameters.eccDetail.symmetric.keyBits.aes = 128
        pub.publicArea.parameters.eccDetail.symmetric.mode.aes = TPMConst.algCFB
        pub.publicArea.parameters.eccDetail.scheme.scheme = TPMConst.algNull
        pub.publicArea.parameters.eccDetail.curveID = TPMConst.curveP256
        pub.publicArea.parameters.eccDetail.kdf.scheme = TPMConst.algNull
        pub.publicArea.unique.ecc.x.size = 32
        pub.publicArea.unique.ecc.y.size = 32
        return pub
    }

    /// The owner's key: P-256 for ECDH (decrypt, scheme ECDH/SHA-256), made inside the TPM
    /// (sensitiveDataOrigin) and bound to it and its parent (fixedTPM, fixedParent), usable with
    /// its authValue (userWithAuth) and subject to dictionary-attack protection (no noDA): the
    /// same attributes as age-plugin-tpm's key.
    static var ecdhKey: TPM2B_PUBLIC {
        var pub = TPM2B_PUBLIC()
        pub.publicArea.type = TPMConst.algECC
        pub.publicArea.nameAlg = TPMConst.algSHA256
        pub.publicArea.objectAttributes = TPMConst.fixedTPM | TPMConst.fixedParent | TPMConst.sensitiveDataOrigin
            | TPMConst.userWithAuth | TPMConst.decrypt
        pub.publicArea.parameters.eccDetail.symmetric.algorithm = TPMConst.algNull
        pub.publicArea.parameters.eccDetail.scheme.scheme = TPMConst.algECDH
        pub.publicArea.parameters.eccDetail.scheme.details.ecdh.hashAlg = TPMConst.algSHA256
        pub.publicArea.parameters.eccDetail.curveID = TPMConst.curveP256
        pub.publicArea.parameters.eccDetail.kdf.scheme = TPMConst.algNull
        return pub
    }

    /// The owner's access-log signing key (docs/audit.md, TPM checkpoints): P-256 for ECDSA with
    /// SHA-256, unrestricted (it signs digests made outside the TPM: the log's head), with the
    /// ECDH key's other attributes, so it too is bound to this TPM, made inside it, and its PIN is
    /// subject to dictionary-attack protection.
    static var signingKey: TPM2B_PUBLIC {
        var pub = TPM2B_PUBLIC()
        pub.publicArea.type = TPMConst.algECC
        pub.publicArea.nameAlg = TPMConst.algSHA256
        pub.publicArea.objectAttributes = TPMConst.fixedTPM | TPMConst.fixedParent | TPMConst.sensitiveDataOrigin
            | TPMConst.userWithAuth | TPMConst.signEncrypt
        pub.publicArea.parameters.eccDetail.symmetric.algorithm = TPMConst.algNull
        pub.publicArea.parameters.eccDetail.scheme.scheme = TPMConst.algECDSA
        pub.publicArea.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPMConst.algSHA256
        pub.publicArea.parameters.eccDetail.curveID = TPMConst.curveP256
        pub.publicArea.parameters.eccDetail.kdf.scheme = TPMConst.algNull
        return pub
    }
}

/// Copies `bytes` into a C fixed-size array (a Swift tuple), returning how many were copied.
@discardableResult
func fill<T>(_ tuple: inout T, with bytes: [UInt8]) -> Int {
    withUnsafeMutableBytes(of: &tuple) { raw in
        let n = min(raw.count, bytes.count)
        raw.copyBytes(from: bytes.prefix(n))
        return n
    }
}

/// The first `count` bytes of a C fixed-size array.
func bytes<T>(of tuple: T, count: Int) -> [UInt8] {
    withUnsafeBytes(of: tuple) { Array($0.prefix(count)) }
}
