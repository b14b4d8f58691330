// PIN and touch policies and the slot numbering, as the card encodes them (GENERATE's AA/AB tags,
// GET METADATA's tag 02, and the two-byte value of the 1.3.6.1.4.1.41482.3.8 certificate
// extension all use the same bytes).

/// When the card wants the PIN before a private-key operation.
public enum PINPolicy: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// No PIN ever: for robots that unlock unattended.
    case never = 1
    /// Once per card session (until the card is reset, powered off or another applet selected).
    case once = 2
    /// Before every operation.
    case always = 3

    public init?(name: String) {
        guard let p = PINPolicy.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
        self = p
    }

    public var description: String {
        switch self {
        case .never: return "never"
        case .once: return "once"
        case .always: return "always"
        }
    }
}

/// When the card wants a touch before a private-key operation.
public enum TouchPolicy: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case never = 1
    case always = 2
    /// One touch covers operations for 15 seconds.
    case cached = 3

    public init?(name: String) {
        guard let p = TouchPolicy.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
        self = p
    }

    public var description: String {
        switch self {
        case .never: return "never"
        case .always: return "always"
        case .cached: return "cached"
        }
    }
}

/// A PIV key slot. keyrack generates only in the twenty "retired key management" slots 0x82–0x95,
/// as age-plugin-yubikey does, so the standard slots stay free for ssh, signing and login.
public struct PIVSlot: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(_ rawValue: UInt8) { self.rawValue = rawValue }

    public static let retired: [PIVSlot] = (0x82...0x95).map { PIVSlot($0) }
    public static let standard: [PIVSlot] = [0x9A, 0x9C, 0x9D, 0x9E].map { PIVSlot($0) }

    public var isRetired: Bool { (0x82...0x95).contains(rawValue) }
    /// 9a, PIV authentication: where a TLS client (login) key lives.
    public static let authentication = PIVSlot(0x9A)

    /// Parses `82`, `0x82`, or age-plugin-yubikey's 1-based retired slot number (`1` … `20`).
    public init?(parsing text: String) {
        var t = text.lowercased()
        if t.hasPrefix("0x") { t.removeFirst(2) }
        if t.count == 2, let v = UInt8(t, radix: 16), (0x82...0x95).contains(v) || [0x9A, 0x9C, 0x9D, 0x9E].contains(v) {
            self.rawValue = v
        } else if let n = Int(text), (1...20).contains(n) {
            self.rawValue = UInt8(0x81 + n)
        } else {
            return nil
        }
    }

    /// The data object holding this slot's certificate.
    public var certificateObject: UInt32 {
        switch rawValue {
        case 0x9A: return 0x5FC105
        case 0x9C: return 0x5FC10A
        case 0x9D: return 0x5FC10B
        case 0x9E: return 0x5FC101
        case 0xF9: return 0x5FFF01
        default: return 0x5FC10D + UInt32(rawValue - 0x82)
        }
    }

    public var description: String { hex(rawValue) }
    public static func < (a: PIVSlot, b: PIVSlot) -> Bool { a.rawValue < b.rawValue }
}

/// PIV algorithm identifiers used by keyrack.
public enum PIVAlgorithm {
    public static let tdes: UInt8 = 0x03
    public static let aes128: UInt8 = 0x08
    public static let aes192: UInt8 = 0x0A
    public static let aes256: UInt8 = 0x0C
    public static let eccP256: UInt8 = 0x11
    public static let eccP384: UInt8 = 0x14
}
