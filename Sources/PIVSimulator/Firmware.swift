// What a firmware version brings to the simulated card. The card plays the firmware it is given
// (`--version`): 5.4.3 is the long-lived YubiKey 5 release, 5.7.x the one that added Curve25519
// keys, MOVE/DELETE KEY and an AES-192 factory management key. The thresholds are the ones
// Yubico's ykman checks before it sends a command (yubikit/piv.py, yubikit/management.py).

public struct Firmware: Equatable, Comparable {
    public let major: UInt8, minor: UInt8, patch: UInt8

    public init(_ bytes: [UInt8]) {
        major = bytes.count > 0 ? bytes[0] : 0
        minor = bytes.count > 1 ? bytes[1] : 0
        patch = bytes.count > 2 ? bytes[2] : 0
    }

    public static func < (a: Firmware, b: Firmware) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }

    static let v5_4_0 = Firmware([5, 4, 0])
    static let v5_7_0 = Firmware([5, 7, 0])

    /// Ed25519 and X25519 keys in PIV slots.
    public var hasCurve25519: Bool { self >= .v5_7_0 }
    /// MOVE KEY / DELETE KEY (INS F6).
    public var hasMoveKey: Bool { self >= .v5_7_0 }
    /// AES management keys (SET MANAGEMENT KEY with algorithm 08/0A/0C).
    public var hasAESManagementKey: Bool { self >= .v5_4_0 }
    /// Device info in several pages (tag 10 "more data"), with the FIPS/PIN-complexity tags.
    public var hasPagedDeviceInfo: Bool { self >= .v5_7_0 }
    /// The management key type a new card (and a PIV reset) has: AES-192 from 5.7 on.
    public var factoryManagementKeyAlgorithm: UInt8 { self >= .v5_7_0 ? PIVAlgorithm.aes192 : PIVAlgorithm.tdes }
}

extension CardState {
    public var firmware: Firmware { Firmware(version) }
}
