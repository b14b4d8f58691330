import CTSS2
import Locking
import SecretBytes
#if canImport(Glibc)
import Glibc
#endif

/// A TPM 2.0 reached through one TCTI: makes P-256 keys under the storage root key, and does
/// ECDH (TPM2_ECDH_ZGen) with them. Knows no manifest and no age: callers pass a sealed key and a
/// peer point and get the shared x-coordinate back.
///
/// Every command that carries a secret runs in one HMAC session salted to the storage root key,
/// with parameter encryption both ways: the PIN never crosses the bus (the session proves it by
/// HMAC), the new key's PIN goes in encrypted, and the ECDH result comes back encrypted, so a
/// probe on a discrete TPM's LPC/SPI bus sees neither.
///
/// A wrong PIN is reported with the dictionary-attack counter and never retried here: every
/// retry would count against the TPM's lockout.
/// Sendable as checked: each operation opens its own ESYS context (TPMConnection); the one
/// counter shared between calls is `Locked`.
public final class TPMClient: Sendable {
    /// The resource-managed kernel device: every process gets its own view of the TPM's handles.
    public static let defaultTCTI = "device:/dev/tpmrm0"
    /// The environment variable naming another TCTI (`swtpm:host=127.0.0.1,port=2321`, `mssim:…`).
    public static let tctiVariable = "KEYRACK_TPM_TCTI"
    /// authValue is at most the name algorithm's digest (SHA-256): 32 bytes.
    public static let maxPINBytes = 32

    public let tcti: String
    private let ecdhCount = Locked(0)

    public init(tcti: String) { self.tcti = tcti }

    /// The TCTI to use: the variable when set, else the one recorded with a key, else the device.
    public static func tcti(environment: [String: String], recorded: String? = nil) -> String {
        if let v = environment[tctiVariable], !v.isEmpty { return v }
        if let recorded, !recorded.isEmpty { return recorded }
        return defaultTCTI
    }

    /// ECDH_ZGen commands this client has sent, over its lifetime (the tests count them).
    public var ecdhOperations: Int { ecdhCount.withLock { $0 } }

    /// Creates a P-256 key in the TPM under the storage root key, with `pin` as its authValue
    /// (none when nil or empty), and returns it sealed.
    public func createKey(pin: [UInt8]?) throws -> TPMSealedKey {
        try create(TPMTemplates.ecdhKey, pin: pin)
    }

    /// Creates a P-256 ECDSA (SHA-256) signing key under the storage root key, with `pin` as its
    /// authValue (none when nil or empty), and returns it sealed: the access log's TPM key.
    public func createSigningKey(pin: [UInt8]?) throws -> TPMSealedKey {
        try create(TPMTemplates.signingKey, pin: pin)
    }

    private func create(_ keyTemplate: TPM2B_PUBLIC, pin: [UInt8]?) throws -> TPMSealedKey {
        let hasPIN = !(pin ?? []).isEmpty
        if hasPIN { try TPMClient.validate(pin!) }
        let tpm = try TPMConnection(tcti: tcti)
        let (srk, srkName) = try storageRootKey(tpm)
        let session = try saltedSession(tpm, srk: srk)
        var sensitive = TPM2B_SENSITIVE_CREATE()
        if let pin, hasPIN {
            sensitive.sensitive.userAuth.size = UInt16(fill(&sensitive.sensitive.userAuth.buffer, with: pin))
        }
        defer { scrub(&sensitive) }
        var template = keyTemplate
        var outside = TPM2B_DATA()
        var pcrs = TPML_PCR_SELECTION()
        var outPrivate: UnsafeMutablePointer<TPM2B_PRIVATE>?
        var outPublic: UnsafeMutablePointer<TPM2B_PUBLIC>?
        try tpm.check(Esys_Create(tpm.context, srk, session, ESYS_TR(ESYS_TR_NONE), ESYS_TR(ESYS_TR_NONE),
                                  &sensitive, &template, &outside, &pcrs, &outPrivate, &outPublic, nil, nil, nil), "Create")
        defer { Esys_Free(outPrivate); Esys_Free(outPublic) }
        guard let outPrivate, let outPublic else { throw TPMError.command(operation: "Create", code: 0, text: "no key returned") }
        return try TPMSealedKey(publicBlob: TPMSealedKey.marshal(outPublic.pointee), privateBlob: TPMSealedKey.marshal(outPrivate.pointee),
                                parentName: srkName, hasPIN: hasPIN)
    }

    /// Loads `key` and checks it is this TPM's, without using it (no PIN, no DA count).
    public func verify(_ key: TPMSealedKey) throws {
        let tpm = try TPMConnection(tcti: tcti)
        _ = try load(key, tpm)
    }

    /// ECDH of the key with `peer` (an uncompressed P-256 point) on the TPM: the shared point's
    /// x-coordinate (32 bytes; the caller wipes it). One TPM2_ECDH_ZGen.
    public func ecdh(_ key: TPMSealedKey, peer: [UInt8], pin: [UInt8]?) throws -> [UInt8] {
        guard peer.count == 65, peer[0] == 0x04 else { throw TPMError.malformedKey("the peer point is not an uncompressed P-256 point") }
        let (tpm, handle, srk) = try loadAuthorised(key, pin: pin)
        let session = try saltedSession(tpm, srk: srk)
        var point = TPM2B_ECC_POINT()
        point.point.x.size = UInt16(fill(&point.point.x.buffer, with: Array(peer[1...32])))
        point.point.y.size = UInt16(fill(&point.point.y.buffer, with: Array(peer[33...64])))
        var out: UnsafeMutablePointer<TPM2B_ECC_POINT>?
        ecdhCount.withLock { $0 += 1 }
        let rc = Esys_ECDH_ZGen(tpm.context, handle, session, ESYS_TR(ESYS_TR_NONE), ESYS_TR(ESYS_TR_NONE), &point, &out)
        defer {
            if let out { scrub(out) }
            Esys_Free(out)
        }
        try tpm.check(rc, "ECDH_ZGen")
        guard let out, out.pointee.point.x.size == 32 else { throw TPMError.command(operation: "ECDH_ZGen", code: 0, text: "no 32-byte point returned") }
        return bytes(of: out.pointee.point.x.buffer, count: 32)
    }

    /// An ECDSA signature by the signing key `key` (createSigningKey) over `digest` (a SHA-256
    /// digest, 32 bytes), as `r ‖ s` (2 × 32 bytes). One TPM2_Sign. The PIN is proven by the
    /// session's HMAC, as for ecdh.
    public func sign(_ key: TPMSealedKey, digest: [UInt8], pin: [UInt8]?) throws -> [UInt8] {
        guard digest.count == 32 else { throw TPMError.malformedKey("the digest to sign is not 32 bytes (SHA-256)") }
        let (tpm, handle, srk) = try loadAuthorised(key, pin: pin)
        // Decrypt only: Sign's response does not start with a sized buffer, which the TPM
        // refuses to encrypt (TPM_RC_ATTRIBUTES); nothing in it is secret.
        let session = try saltedSession(tpm, srk: srk, flags: TPMConst.sessionContinue | TPMConst.sessionDecrypt)
        var inDigest = TPM2B_DIGEST()
        inDigest.size = UInt16(fill(&inDigest.buffer, with: digest))
        var scheme = TPMT_SIG_SCHEME()
        scheme.scheme = TPMConst.algNull  // the key's own: ECDSA with SHA-256
        var validation = TPMT_TK_HASHCHECK()
        validation.tag = TPMConst.stHashCheck
        validation.hierarchy = TPMConst.rhNull
        var out: UnsafeMutablePointer<TPMT_SIGNATURE>?
        try tpm.check(Esys_Sign(tpm.context, handle, session, ESYS_TR(ESYS_TR_NONE), ESYS_TR(ESYS_TR_NONE),
                                &inDigest, &scheme, &validation, &out), "Sign")
        defer { Esys_Free(out) }
        guard let out, out.pointee.sigAlg == TPMConst.algECDSA else { throw TPMError.command(operation: "Sign", code: 0, text: "no ECDSA signature returned") }
        let r = out.pointee.signature.ecdsa.signatureR, s = out.pointee.signature.ecdsa.signatureS
        guard r.size <= 32, s.size <= 32 else { throw TPMError.command(operation: "Sign", code: 0, text: "the signature is not P-256") }
        func padded(_ v: [UInt8]) -> [UInt8] { [UInt8](repeating: 0, count: 32 - v.count) + v }
        return padded(bytes(of: r.buffer, count: Int(r.size))) + padded(bytes(of: s.buffer, count: Int(s.size)))
    }

    /// What every use of a key (ecdh, sign) starts with: the PIN its key needs is there and
    /// valid (checked before the TPM is touched), the key loaded under the SRK, and the PIN set
    /// as its authorisation (the session's HMAC then proves it).
    private func loadAuthorised(_ key: TPMSealedKey, pin: [UInt8]?) throws -> (TPMConnection, ESYS_TR, ESYS_TR) {
        if key.hasPIN {
            guard let pin, !pin.isEmpty else { throw TPMError.pinRequired }
            try TPMClient.validate(pin)
        }
        let tpm = try TPMConnection(tcti: tcti)
        let (handle, srk) = try load(key, tpm)
        var auth = TPM2B_AUTH()
        if key.hasPIN, let pin { auth.size = UInt16(fill(&auth.buffer, with: pin)) }
        try tpm.check(Esys_TR_SetAuth(tpm.context, handle, &auth), "SetAuth")
        scrub(&auth)
        return (tpm, handle, srk)
    }

    /// The dictionary-attack counter and lockout state.
    public func lockoutStatus() throws -> TPMLockoutStatus {
        try TPMConnection(tcti: tcti).lockoutStatus()
    }

    /// Who made the TPM and its firmware, for `doctor`.
    public func info() throws -> TPMInfo {
        let tpm = try TPMConnection(tcti: tcti)
        let p = try tpm.properties(from: TPMConst.ptManufacturer, count: 8)
        func ascii(_ v: UInt32?) -> String {
            guard let v else { return "" }
            let chars = [24, 16, 8, 0].map { UInt8((v >> UInt32($0)) & 0xFF) }.filter { $0 >= 0x20 && $0 < 0x7F }
            return String(decoding: chars, as: UTF8.self).trimmingTrailingSpaces
        }
        let vendor = (0..<4).map { ascii(p[TPMConst.ptVendorString1 + TPM2_PT($0)]) }.joined().trimmingTrailingSpaces
        let f1 = p[TPMConst.ptFirmware1] ?? 0, f2 = p[TPMConst.ptFirmware2] ?? 0
        func hex8(_ v: UInt32) -> String { let s = String(v, radix: 16); return String(repeating: "0", count: 8 - s.count) + s }
        return TPMInfo(manufacturer: ascii(p[TPMConst.ptManufacturer]), vendor: vendor, firmware: "\(hex8(f1)).\(hex8(f2))")
    }

    // MARK: -

    static func validate(_ pin: [UInt8]) throws {
        guard pin.count <= maxPINBytes else { throw TPMError.invalidPIN("a TPM PIN is at most \(maxPINBytes) bytes") }
        guard !pin.contains(0) else { throw TPMError.invalidPIN("a TPM PIN cannot contain a NUL byte") }
    }

    /// The storage root key (created from its template, see TPMTemplates) and its name.
    private func storageRootKey(_ tpm: TPMConnection) throws -> (ESYS_TR, [UInt8]) {
        var sensitive = TPM2B_SENSITIVE_CREATE()
        var template = TPMTemplates.storageRootKey
        var outside = TPM2B_DATA()
        var pcrs = TPML_PCR_SELECTION()
        var handle = ESYS_TR(ESYS_TR_NONE)
        try tpm.check(Esys_CreatePrimary(tpm.context, ESYS_TR(ESYS_TR_RH_OWNER), ESYS_TR(ESYS_TR_PASSWORD), ESYS_TR(ESYS_TR_NONE), ESYS_TR(ESYS_TR_NONE),
                                         &sensitive, &template, &outside, &pcrs, &handle, nil, nil, nil, nil), "CreatePrimary (storage root key)")
        tpm.track(handle)
        var name: UnsafeMutablePointer<TPM2B_NAME>?
        try tpm.check(Esys_TR_GetName(tpm.context, handle, &name), "GetName")
        defer { Esys_Free(name) }
        return (handle, name.map { TPMSealedKey.marshal($0.pointee) } ?? [])
    }

    /// Loads `key` under the storage root key; refuses a key whose parent is another TPM's.
    private func load(_ key: TPMSealedKey, _ tpm: TPMConnection) throws -> (key: ESYS_TR, srk: ESYS_TR) {
        let (srk, srkName) = try storageRootKey(tpm)
        if !key.parentName.isEmpty && key.parentName != srkName { throw TPMError.otherTPM }
        var priv = try TPMSealedKey.unmarshalPrivate(key.privateBlob)
        var pub = try TPMSealedKey.unmarshalPublic(key.publicBlob)
        var handle = ESYS_TR(ESYS_TR_NONE)
        let rc = Esys_Load(tpm.context, srk, ESYS_TR(ESYS_TR_PASSWORD), ESYS_TR(ESYS_TR_NONE), ESYS_TR(ESYS_TR_NONE), &priv, &pub, &handle)
        // A private area sealed by another root key fails its integrity check.
        if ResponseCode.isIntegrity(rc) { throw TPMError.otherTPM }
        try tpm.check(rc, "Load")
        tpm.track(handle)
        return (handle, srk)
    }

    /// An HMAC session salted to the storage root key (AES-128-CFB parameter encryption both ways).
    private func saltedSession(_ tpm: TPMConnection, srk: ESYS_TR,
                               flags: TPMA_SESSION = TPMConst.sessionContinue | TPMConst.sessionDecrypt | TPMConst.sessionEncrypt) throws -> ESYS_TR {
        var symmetric = TPMT_SYM_DEF()
        symmetric.algorithm = TPMConst.algAES
        symmetric.keyBits.aes = 128
        symmetric.mode.aes = TPMConst.algCFB
        var session = ESYS_TR(ESYS_TR_NONE)
        try tpm.check(Esys_StartAuthSession(tpm.context, srk, ESYS_TR(ESYS_TR_NONE), ESYS_TR(ESYS_TR_NONE), ESYS_TR(ESYS_TR_NONE), ESYS_TR(ESYS_TR_NONE),
                                            nil, TPMConst.sessionHMAC, &symmetric, TPMConst.algSHA256, &session), "StartAuthSession")
        tpm.track(session)
        try tpm.check(Esys_TRSess_SetAttributes(tpm.context, session, flags, 0xFF), "TRSess_SetAttributes")
        return session
    }
}

/// Who made the TPM, for `doctor`.
public struct TPMInfo: Equatable, Sendable {
    /// The TCG vendor id as four ASCII characters (`IBM`, `INTC`, `AMD`, `MSFT`, `STM`, `IFX`).
    public var manufacturer: String
    public var vendor: String
    public var firmware: String
}

/// Zeroes a C structure that held a PIN or a shared point.
private func scrub<T>(_ value: inout T) {
    withUnsafeMutableBytes(of: &value) { zeroize($0.baseAddress!, count: $0.count) }
}

private func scrub<T>(_ pointer: UnsafeMutablePointer<T>) {
    zeroize(UnsafeMutableRawPointer(pointer), count: MemoryLayout<T>.size)
}

extension String {
    var trimmingTrailingSpaces: String {
        var s = Substring(self)
        while s.last == " " || s.last == "\0" { s = s.dropLast() }
        return String(s)
    }
}
