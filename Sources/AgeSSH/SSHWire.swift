// The SSH wire encoding (RFC 4251 §5) as public keys and OpenSSH private keys use it: `uint32`
// big-endian, `string` = uint32 length + bytes, `mpint` = a string holding a big-endian two's
// complement integer. Only what key files need, and every read is bounds-checked: key files come
// from users and must fail with a message, never trap.

/// Reads SSH wire fields one after another from a byte buffer.
struct SSHWireReader {
    private let bytes: [UInt8]
    private(set) var offset = 0
    /// Names the structure being read, so a short read reports e.g. "OpenSSH private key".
    let context: String

    init(_ bytes: [UInt8], context: String) {
        self.bytes = bytes
        self.context = context
    }

    var isAtEnd: Bool { offset == bytes.count }
    var remaining: [UInt8] { Array(bytes[offset...]) }

    private func truncated(_ what: String) -> SSHKeyError {
        .malformedKey("\(context): truncated while reading \(what)")
    }

    mutating func readBytes(_ count: Int, _ what: String) throws -> [UInt8] {
        guard count >= 0, bytes.count - offset >= count else { throw truncated(what) }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func readUInt32(_ what: String) throws -> UInt32 {
        try readBytes(4, what).reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func readString(_ what: String) throws -> [UInt8] {
        let length = try readUInt32(what)
        guard length <= UInt32(bytes.count - offset) else { throw truncated(what) }
        return try readBytes(Int(length), what)
    }

    mutating func readText(_ what: String) throws -> String {
        String(decoding: try readString(what), as: UTF8.self)
    }

    /// Reads an mpint as unsigned magnitude bytes without leading zeros. Negative values are
    /// refused: no RSA component is negative.
    mutating func readMPInt(_ what: String) throws -> [UInt8] {
        let raw = try readString(what)
        if let first = raw.first, first & 0x80 != 0 {
            throw SSHKeyError.malformedKey("\(context): \(what) is negative")
        }
        return Array(raw.drop(while: { $0 == 0 }))
    }
}

/// Builds SSH wire fields.
struct SSHWireWriter {
    private(set) var bytes: [UInt8] = []

    mutating func writeUInt32(_ value: UInt32) {
        bytes += [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    mutating func writeString(_ value: [UInt8]) {
        writeUInt32(UInt32(value.count))
        bytes += value
    }

    mutating func writeString(_ value: String) { writeString(Array(value.utf8)) }

    /// Writes unsigned magnitude bytes as an mpint: minimal, with a 0x00 prefix when the top bit
    /// is set so the value stays positive.
    mutating func writeMPInt(_ magnitude: [UInt8]) {
        let trimmed = Array(magnitude.drop(while: { $0 == 0 }))
        if let first = trimmed.first, first & 0x80 != 0 {
            writeString([0] + trimmed)
        } else {
            writeString(trimmed)
        }
    }
}
