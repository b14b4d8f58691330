// Everything a YubiKey keeps across power cycles: PIN/PUK and their counters, the management
// key, slot keys with their policies, data objects, serial and firmware version.
//
// Volatile session state (what a reset or power-off forgets) lives in `Session` instead, so the
// split mirrors the card and the state file never holds "PIN verified".

import Crypto
import Foundation

/// PIV algorithm identifiers (ykpiv.h `YKPIV_ALGO_*`, Yubico AES extensions).
public enum PIVAlgorithm {
    public static let tdes: UInt8 = 0x03
    public static let aes128: UInt8 = 0x08
    public static let aes192: UInt8 = 0x0A
    public static let aes256: UInt8 = 0x0C
    public static let rsa1024: UInt8 = 0x06
    public static let rsa2048: UInt8 = 0x07
    public static let eccP256: UInt8 = 0x11
    public static let eccP384: UInt8 = 0x14
    /// Firmware 5.7+.
    public static let ed25519: UInt8 = 0xE0
    public static let x25519: UInt8 = 0xE1
}

/// PIN policy bytes (tag AA); 0 = slot default.
public enum PINPolicy {
    public static let `default`: UInt8 = 0, never: UInt8 = 1, once: UInt8 = 2, always: UInt8 = 3
}

/// Touch policy bytes (tag AB); 0 = slot default.
public enum TouchPolicy {
    public static let `default`: UInt8 = 0, never: UInt8 = 1, always: UInt8 = 2, cached: UInt8 = 3
}

/// A PIN or PUK: its padded value and retry counter.
public struct SecretReference: Codable, Equatable {
    /// Right-padded with FF to 8 bytes, as it travels in VERIFY.
    public var value: String
    public var maxRetries: Int
    public var remaining: Int

    init(padded: [UInt8], retries: Int) {
        value = padded.hexString
        maxRetries = retries
        remaining = retries
    }

    var bytes: [UInt8] { [UInt8](hex: value) ?? [] }
    var isBlocked: Bool { remaining <= 0 }

    /// Pads an ASCII PIN to the 8-byte wire form.
    static func pad(_ s: String) -> [UInt8] {
        let b = Array(s.utf8)
        return b + [UInt8](repeating: 0xFF, count: max(0, 8 - b.count))
    }
}

/// The management (9B) key.
public struct ManagementKey: Codable, Equatable {
    public var algorithm: UInt8
    public var key: String
    /// Touch policy byte: 01 never, 02 always, 03 cached (SET MANAGEMENT KEY P2 FF/FE/FD).
    public var touch: UInt8

    var bytes: [UInt8] { [UInt8](hex: key) ?? [] }
    var blockSize: Int { algorithm == PIVAlgorithm.tdes ? 8 : 16 }

    static func keyLength(for algorithm: UInt8) -> Int? {
        switch algorithm {
        case PIVAlgorithm.tdes, PIVAlgorithm.aes192: return 24
        case PIVAlgorithm.aes128: return 16
        case PIVAlgorithm.aes256: return 32
        default: return nil
        }
    }
}

/// A private key in a slot.
public struct SlotKey: Codable, Equatable {
    public var algorithm: UInt8
    /// Raw private scalar (hex).
    public var privateKey: String
    /// Stored as given (0 = slot default); `effective…` resolves defaults.
    public var pinPolicy: UInt8
    public var touchPolicy: UInt8
    /// 1 generated on the card, 2 imported.
    public var origin: UInt8
}

/// The persistent state of one simulated card.
public struct CardState: Codable, Equatable {
    public var serial: UInt32
    public var version: [UInt8]
    public var pin: SecretReference
    public var puk: SecretReference
    public var managementKey: ManagementKey
    /// Which management key type a RESET restores (firmware 5.7 ships AES-192, older TDES).
    public var defaultManagementKeyAlgorithm: UInt8
    /// Slot (hex, e.g. "9d") → key.
    public var slots: [String: SlotKey]
    /// Object id (hex, e.g. "5fc10b") → contents (hex, the value inside tag 53).
    public var objects: [String: String]
    /// Approved touches so far; tests read it to assert that an operation asked for a touch.
    public var touchCount: Int
    /// ECDH operations done with slot keys so far (nil in state files older than the counter):
    /// tests read it to assert how many card operations a command cost, or that none happened.
    public var ecdhCount: Int?

    public static let defaultPIN = SecretReference.pad("123456")
    public static let defaultPUK = SecretReference.pad("12345678")
    public static let defaultTDESKey: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8]
    public static let attestationObject: UInt32 = 0x5FFF01

    /// A card fresh from the factory, with its own attestation key and certificate in F9.
    /// The management key type defaults to the firmware's (AES-192 from 5.7, TDES before).
    public static func factory(serial: UInt32, version: [UInt8] = [5, 4, 3],
                               managementKeyAlgorithm: UInt8? = nil) -> CardState {
        let managementKeyAlgorithm = managementKeyAlgorithm ?? Firmware(version).factoryManagementKeyAlgorithm
        var s = CardState(serial: serial, version: version,
                          pin: SecretReference(padded: defaultPIN, retries: 3),
                          puk: SecretReference(padded: defaultPUK, retries: 3),
                          managementKey: ManagementKey(algorithm: managementKeyAlgorithm,
                                                       key: defaultTDESKey.hexString, touch: TouchPolicy.never),
                          defaultManagementKeyAlgorithm: managementKeyAlgorithm,
                          slots: [:], objects: [:], touchCount: 0)
        let f9 = P256.Signing.PrivateKey()
        s.slots["f9"] = SlotKey(algorithm: PIVAlgorithm.eccP256, privateKey: [UInt8](f9.rawRepresentation).hexString,
                                pinPolicy: PINPolicy.never, touchPolicy: TouchPolicy.never, origin: 1)
        if let der = try? Attestation.selfSignedAttestationRoot(key: f9, serial: serial) {
            s.objects[objectKey(attestationObject)] = Objects.certificateContainer(der).hexString
        }
        return s
    }

    /// Back to factory defaults as the RESET instruction does: keys and objects go, the
    /// attestation key and its certificate stay, serial and version are hardware.
    mutating func resetToFactory() {
        pin = SecretReference(padded: CardState.defaultPIN, retries: 3)
        puk = SecretReference(padded: CardState.defaultPUK, retries: 3)
        managementKey = ManagementKey(algorithm: defaultManagementKeyAlgorithm,
                                      key: CardState.defaultTDESKey.hexString, touch: TouchPolicy.never)
        slots = slots.filter { $0.key == "f9" }
        let attestation = CardState.objectKey(CardState.attestationObject)
        objects = objects.filter { $0.key == attestation }
    }

    static func slotKey(_ slot: UInt8) -> String { [slot].hexString }
    static func objectKey(_ id: UInt32) -> String {
        (id > 0xFFFF ? [UInt8(id >> 16), UInt8(id >> 8 & 0xFF), UInt8(id & 0xFF)] : id > 0xFF ? [UInt8(id >> 8), UInt8(id & 0xFF)] : [UInt8(id)]).hexString
    }

    func key(in slot: UInt8) -> SlotKey? { slots[CardState.slotKey(slot)] }
    func object(_ id: UInt32) -> [UInt8]? { objects[CardState.objectKey(id)].flatMap { [UInt8](hex: $0) } }

    public var versionString: String { version.map(String.init).joined(separator: ".") }
}
