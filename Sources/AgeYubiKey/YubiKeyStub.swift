import AgeFormat
import Foundation
import PIV

/// An `AGE-PLUGIN-YUBIKEY-1…` identity as age-plugin-yubikey writes it. It holds no secret: just
/// which card (serial, little-endian), which slot, and the recipient's tag, so a decryptor knows
/// which stanzas are its own before it touches a card.
public struct YubiKeyStub: Sendable, Hashable, CustomStringConvertible {
    public static let hrp = "AGE-PLUGIN-YUBIKEY-"
    public let serial: UInt32
    public let slot: PIVSlot
    public let tag: [UInt8]

    public init(serial: UInt32, slot: PIVSlot, tag: [UInt8]) throws {
        guard slot.isRetired else { throw AgeError.invalidKey("YubiKey identity names slot \(slot), not a retired slot 82–95") }
        guard tag.count == 4 else { throw AgeError.invalidKey("YubiKey identity tag must be 4 bytes") }
        self.serial = serial
        self.slot = slot
        self.tag = tag
    }

    public init(serial: UInt32, slot: PIVSlot, recipient: PIVP256Recipient) throws {
        try self.init(serial: serial, slot: slot, tag: recipient.tag)
    }

    /// Parses `AGE-PLUGIN-YUBIKEY-1…`: at least 9 bytes (extra bytes are ignored, as the plugin does).
    public init(string: String) throws {
        let decoded: (hrp: String, data: [UInt8])
        do { decoded = try Bech32.decode(string) } catch {
            throw AgeError.invalidKey("malformed AGE-PLUGIN-YUBIKEY-1 identity (bad Bech32 encoding): print it again from the card (age-plugin-yubikey --identity)")
        }
        guard decoded.hrp == YubiKeyStub.hrp.lowercased() else {
            throw AgeError.invalidKey("not a YubiKey identity (want AGE-PLUGIN-YUBIKEY-1…)")
        }
        let d = decoded.data
        guard d.count >= 9 else { throw AgeError.invalidKey("YubiKey identity is \(d.count) bytes, want at least 9") }
        let serial = UInt32(d[0]) | UInt32(d[1]) << 8 | UInt32(d[2]) << 16 | UInt32(d[3]) << 24
        try self.init(serial: serial, slot: PIVSlot(d[4]), tag: Array(d[5..<9]))
    }

    public var bytes: [UInt8] {
        [UInt8(serial & 0xFF), UInt8(serial >> 8 & 0xFF), UInt8(serial >> 16 & 0xFF), UInt8(serial >> 24)] + [slot.rawValue] + tag
    }

    /// The uppercase `AGE-PLUGIN-YUBIKEY-1…` line.
    public var string: String { Bech32.encode(hrp: YubiKeyStub.hrp, data: bytes).uppercased() }
    public var description: String { string }

    /// The identity file age-plugin-yubikey `--generate` prints: comment lines, then the stub.
    public func identityFile(recipient: PIVP256Recipient, name: String?, created: Date,
                             pinPolicy: PINPolicy?, touchPolicy: TouchPolicy?) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        let slotNumber = Int(slot.rawValue) - 0x81
        var lines = ["#       Serial: \(serial), Slot: \(slotNumber)"]
        if let name { lines.append("#         Name: \(name)") }
        lines.append("#      Created: \(formatter.string(from: created))")
        lines.append("#   PIN policy: \(pinPolicy.map { $0.pluginName } ?? "Unknown")")
        lines.append("# Touch policy: \(touchPolicy.map { $0.pluginName } ?? "Unknown")")
        lines.append("#    Recipient: \(recipient.string)")
        lines.append(string)
        return lines.joined(separator: "\n") + "\n"
    }
}

extension PINPolicy {
    /// The capitalised names age-plugin-yubikey prints.
    var pluginName: String { description.prefix(1).uppercased() + description.dropFirst() }
}

extension TouchPolicy {
    var pluginName: String { description.prefix(1).uppercased() + description.dropFirst() }
}
