import CYKPIV
import Crypto
import _CryptoExtras
import SecretBytes

/// A PIV management key: the symmetric key that authorises writes (generate, certificates,
/// data objects). TDES until firmware 5.7, AES-192 by default after.
public struct ManagementKey: Sendable {
    public let algorithm: UInt8
    public private(set) var bytes: [UInt8]

    public init(algorithm: UInt8, bytes: [UInt8]) throws {
        guard let length = ManagementKey.keyLength(algorithm) else {
            throw PIVError.managementKeyUnsupported("algorithm 0x\(hex(algorithm)) is not TDES or AES")
        }
        guard bytes.count == length else {
            throw PIVError.managementKeyUnsupported("a \(ManagementKey.name(algorithm)) key is \(length) bytes, not \(bytes.count)")
        }
        self.algorithm = algorithm
        self.bytes = bytes
    }

    /// The factory key `010203040506070801020304050607080102030405060708`, the same bytes for
    /// TDES and for AES-192 (firmware 5.7+).
    public static func factoryDefault(algorithm: UInt8 = PIVAlgorithm.tdes) -> ManagementKey {
        let bytes: [UInt8] = Array([UInt8](1...8) + [UInt8](1...8) + [UInt8](1...8))
        return try! ManagementKey(algorithm: algorithm == PIVAlgorithm.aes192 ? algorithm : PIVAlgorithm.tdes, bytes: bytes)
    }

    /// A fresh random key of `algorithm`.
    public static func random(algorithm: UInt8) throws -> ManagementKey {
        guard let length = keyLength(algorithm) else { throw PIVError.managementKeyUnsupported("algorithm 0x\(hex(algorithm))") }
        var rng = SystemRandomNumberGenerator()
        return try ManagementKey(algorithm: algorithm, bytes: (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    public var isAES: Bool { algorithm != PIVAlgorithm.tdes }
    public var name: String { ManagementKey.name(algorithm) }

    static func keyLength(_ algorithm: UInt8) -> Int? {
        switch algorithm {
        case PIVAlgorithm.tdes, PIVAlgorithm.aes192: return 24
        case PIVAlgorithm.aes128: return 16
        case PIVAlgorithm.aes256: return 32
        default: return nil
        }
    }

    public static func name(_ algorithm: UInt8) -> String {
        switch algorithm {
        case PIVAlgorithm.tdes: return "TDES"
        case PIVAlgorithm.aes128: return "AES-128"
        case PIVAlgorithm.aes192: return "AES-192"
        case PIVAlgorithm.aes256: return "AES-256"
        default: return "0x\(hex(algorithm))"
        }
    }

    mutating func wipeBytes() { wipe(&bytes) }
}

/// What the card says about its management key (GET METADATA 9B, firmware ≥ 5.3).
public struct ManagementKeyInfo: Sendable, Equatable {
    public var algorithm: UInt8
    public var isDefault: Bool
}

/// How `authenticateAsAdministrator` got in.
public enum ManagementKeyOutcome: Sendable, Equatable {
    /// With the PIN-protected key stored in PRINTED (the ykman / age-plugin-yubikey convention).
    case pinProtected
    /// With the factory default key, which was then replaced by a random PIN-protected one.
    case replacedFactoryDefault
}

extension PIVCard {
    /// Algorithm and default-ness of the management key; nil before firmware 5.3.
    public func managementKeyInfo() throws -> ManagementKeyInfo? {
        guard version.hasMetadata else { return nil }
        let (data, sw) = try transmit(0xF7, 0x00, 0x9B, operation: "GET METADATA 9B")
        guard sw == .ok else { return nil }
        var info = ManagementKeyInfo(algorithm: PIVAlgorithm.tdes, isDefault: false)
        for (tag, value) in try TLV.parse(data) {
            if tag == 0x01, let alg = value.first { info.algorithm = alg }
            if tag == 0x05, let flag = value.first { info.isDefault = flag == 0x01 }
        }
        return info
    }

    /// Whether the PIN or PUK (`reference` 0x80 / 0x81) still has its factory value; nil when the
    /// firmware cannot say (before 5.3).
    public func isFactoryDefault(reference: UInt8) throws -> Bool? {
        guard version.hasMetadata else { return nil }
        let (data, sw) = try transmit(0xF7, 0x00, reference, operation: "GET METADATA")
        guard sw == .ok else { return nil }
        return try TLV.find(0x05, in: data).map { $0.first == 0x01 }
    }

    /// Mutual authentication with the management key. TDES goes through libykpiv; AES (which
    /// libykpiv 2.2.0 does not know) is the same exchange with 16-byte blocks, sent raw:
    /// the card sends a witness encrypted under the key, we return it decrypted with our own
    /// challenge, and the card proves itself by encrypting that challenge. Returns false when the
    /// key is wrong (no retry counter guards the management key).
    @discardableResult
    public func authenticate(with key: ManagementKey) throws -> Bool {
        resetOnClose = true
        if !key.isAES {
            let st = try libykpiv
            let rc = key.bytes.withUnsafeBufferPointer { ykpiv_authenticate(st, $0.baseAddress) }
            if rc == YKPIV_OK { return true }
            if rc == YKPIV_AUTHENTICATION_ERROR { return false }
            throw failure(of: "management key authentication", rc)
        }
        let (first, sw1) = try transmit(0x87, key.algorithm, 0x9B, [0x7C, 0x02, 0x80, 0x00], operation: "management key authentication")
        guard sw1 == .ok else {
            if sw1 == .incorrectData || sw1 == .referenceNotFound || sw1.rawValue == 0x6A86 { return false }
            throw PIVError.cardError(operation: "management key authentication", status: sw1.rawValue)
        }
        guard let template = try TLV.find(0x7C, in: first), let witness = try TLV.find(0x80, in: template), witness.count == 16 else {
            throw PIVError.malformedResponse("management key witness is not 16 bytes")
        }
        let decrypted = try AESBlock.decrypt(witness, key: key.bytes)
        let challenge = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let request = TLV.encode(0x7C, TLV.encode(0x80, decrypted) + TLV.encode(0x81, challenge))
        let (second, sw2) = try transmit(0x87, key.algorithm, 0x9B, request, operation: "management key authentication")
        if sw2 == .securityStatusNotSatisfied || sw2 == .incorrectData { return false }
        guard sw2 == .ok else { throw PIVError.cardError(operation: "management key authentication", status: sw2.rawValue) }
        guard let t2 = try TLV.find(0x7C, in: second), let response = try TLV.find(0x82, in: t2) else {
            throw PIVError.malformedResponse("management key response lacks tag 82")
        }
        // The card answered with our challenge under the key: otherwise it is not the card we think.
        guard response == (try AESBlock.encrypt(challenge, key: key.bytes)) else {
            throw PIVError.malformedResponse("the card failed to prove it holds the management key")
        }
        return true
    }

    /// SET MANAGEMENT KEY (Yubico INS FF): raw for every algorithm, as the AES forms are not in
    /// libykpiv 2.2.0. Needs a prior authentication with the current key.
    public func setManagementKey(_ key: ManagementKey, requireTouch: Bool = false) throws {
        resetOnClose = true
        var data = [key.algorithm, 0x9B, UInt8(key.bytes.count)] + key.bytes
        defer { wipe(&data) }
        let (_, sw) = try transmit(0xFF, 0xFF, requireTouch ? 0xFE : 0xFF, data, operation: "SET MANAGEMENT KEY")
        if sw == .securityStatusNotSatisfied { throw PIVError.managementKeyAuthenticationFailed(serial: serial) }
        guard sw == .ok else { throw PIVError.cardError(operation: "SET MANAGEMENT KEY", status: sw.rawValue) }
    }

    /// The PIN-protected management key from PRINTED (`88 { 89 key }`), or nil when none is
    /// stored. The PIN must be verified first.
    public func protectedManagementKey(algorithm: UInt8) throws -> ManagementKey? {
        guard let printed = try getData(0x5FC109), !printed.isEmpty,
              let inner = try? TLV.find(0x88, in: printed), let keyBytes = try TLV.find(0x89, in: inner) else { return nil }
        // Before firmware 5.3 the card cannot tell the algorithm: the key length can (16/32 → AES).
        var alg = algorithm
        if ManagementKey.keyLength(alg) != keyBytes.count {
            alg = keyBytes.count == 16 ? PIVAlgorithm.aes128 : keyBytes.count == 32 ? PIVAlgorithm.aes256 : PIVAlgorithm.tdes
        }
        return try ManagementKey(algorithm: alg, bytes: keyBytes)
    }

    /// Stores `key` PIN-protected: PRINTED `88 { 89 key }` and the ADMIN DATA flag 0x02 "management
    /// key is PIN-protected" (other admin fields kept; the PIN-derived salt dropped as ykman does).
    public func storeProtectedManagementKey(_ key: ManagementKey) throws {
        var printed = TLV.encode(0x88, TLV.encode(0x89, key.bytes))
        defer { wipe(&printed) }
        try putData(0x5FC109, printed)
        var fields: [(UInt16, [UInt8])] = []
        if let admin = try? getData(0x5FFF00), let inner = try? TLV.find(0x80, in: admin) {
            fields = (try? TLV.parse(inner))?.map { ($0.tag, $0.value) } ?? []
        }
        var flags = fields.first { $0.0 == 0x81 }?.1.first ?? 0
        flags |= 0x02
        fields.removeAll { $0.0 == 0x81 || $0.0 == 0x82 }
        fields.insert((0x81, [flags]), at: 0)
        let body = fields.flatMap { TLV.encode([UInt8($0.0 & 0xFF)], $0.1) }
        try putData(0x5FFF00, TLV.encode(0x80, body))
    }

    /// Authenticates for administration the way age-plugin-yubikey and ykman do: the
    /// PIN-protected key if there is one; else the factory default, which is then replaced by a
    /// random key of the same algorithm and stored PIN-protected, so nobody can write to the card
    /// without the PIN. The PIN must be verified first.
    public func authenticateAsAdministrator() throws -> ManagementKeyOutcome {
        let info = try managementKeyInfo()
        let algorithm = info?.algorithm ?? PIVAlgorithm.tdes
        if var stored = try protectedManagementKey(algorithm: algorithm) {
            defer { stored.wipeBytes() }
            guard try authenticate(with: stored) else { throw PIVError.managementKeyAuthenticationFailed(serial: serial) }
            return .pinProtected
        }
        guard try authenticate(with: .factoryDefault(algorithm: algorithm)) else {
            throw PIVError.managementKeyAuthenticationFailed(serial: serial)
        }
        var fresh = try ManagementKey.random(algorithm: algorithm == PIVAlgorithm.aes192 || algorithm == PIVAlgorithm.tdes ? algorithm : PIVAlgorithm.tdes)
        defer { fresh.wipeBytes() }
        try setManagementKey(fresh)
        try storeProtectedManagementKey(fresh)
        guard try authenticate(with: fresh) else { throw PIVError.managementKeyAuthenticationFailed(serial: serial) }
        return .replacedFactoryDefault
    }
}

/// One AES block, ECB, for the management-key exchange (CBC with a zero IV over one block is ECB).
enum AESBlock {
    static func encrypt(_ block: [UInt8], key: [UInt8]) throws -> [UInt8] {
        let iv = try AES._CBC.IV(ivBytes: [UInt8](repeating: 0, count: 16))
        return Array(try AES._CBC.encrypt(block, using: SymmetricKey(data: key), iv: iv, noPadding: true))
    }

    static func decrypt(_ block: [UInt8], key: [UInt8]) throws -> [UInt8] {
        let iv = try AES._CBC.IV(ivBytes: [UInt8](repeating: 0, count: 16))
        return Array(try AES._CBC.decrypt(block, using: SymmetricKey(data: key), iv: iv, noPadding: true))
    }
}
