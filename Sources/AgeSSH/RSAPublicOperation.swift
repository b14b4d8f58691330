/// The RSA public operation m^e mod n, the one piece of RSA swift-crypto does not expose without
/// its own padding (`_RSA.Encryption` would pad with OAEP but cannot take age's label).
///
/// Deliberately the simplest correct big-integer code rather than a fast one: multiplication
/// modulo n by double-and-add (a shift, an add and a conditional subtract per bit), and
/// left-to-right square-and-multiply over the public exponent, which is at most 24 bits (65537
/// in practice). Only public values and the freshly padded file key pass through it; the
/// private operation, where timing matters, is BoringSSL's (`_RSA.BlindSigning`).
struct RSAPublicOperation {
    /// Little-endian 64-bit limbs.
    private let modulus: [UInt64]
    private let exponent: [UInt8]
    /// Length of the modulus in bytes: the size of every ciphertext.
    let byteCount: Int

    /// `modulus` and `exponent` are big-endian magnitudes without leading zeros.
    init(modulus: [UInt8], exponent: [UInt8]) {
        self.modulus = Self.limbs(modulus)
        self.exponent = exponent
        self.byteCount = modulus.count
    }

    /// Raises `message` (big-endian, `byteCount` bytes, numerically below the modulus) to the
    /// public exponent, returning `byteCount` big-endian bytes.
    func apply(_ message: [UInt8]) -> [UInt8] {
        let m = Self.limbs(message)
        precondition(!Self.isLessThan(modulus, m) && m != modulus, "RSA input not below the modulus")
        var result = [UInt64](repeating: 0, count: modulus.count)
        result[0] = 1
        for byte in exponent {
            for bit in (0..<8).reversed() {
                result = multiply(result, result)
                if (byte >> bit) & 1 == 1 { result = multiply(result, m) }
            }
        }
        return Self.bytes(result, count: byteCount)
    }

    /// a·b mod n for a, b < n.
    private func multiply(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        var acc = [UInt64](repeating: 0, count: modulus.count)
        for limb in b.reversed() {
            for bit in (0..<64).reversed() {
                // acc = 2·acc mod n
                var carry: UInt64 = 0
                for i in 0..<acc.count {
                    let next = acc[i] >> 63
                    acc[i] = acc[i] << 1 | carry
                    carry = next
                }
                if carry == 1 || !Self.isLessThan(acc, modulus) { Self.subtract(&acc, modulus) }
                // acc = acc + a mod n
                if (limb >> UInt64(bit)) & 1 == 1 {
                    var addCarry = false
                    for i in 0..<acc.count {
                        let (s1, o1) = acc[i].addingReportingOverflow(a[i])
                        let (s2, o2) = s1.addingReportingOverflow(addCarry ? 1 : 0)
                        acc[i] = s2
                        addCarry = o1 || o2
                    }
                    if addCarry || !Self.isLessThan(acc, modulus) { Self.subtract(&acc, modulus) }
                }
            }
        }
        return acc
    }

    /// a < b, both with the same number of limbs.
    private static func isLessThan(_ a: [UInt64], _ b: [UInt64]) -> Bool {
        for i in (0..<a.count).reversed() where a[i] != b[i] { return a[i] < b[i] }
        return false
    }

    /// a -= b modulo 2^(64·count); when a overflowed past 2^(64·count) the wrap-around is exactly
    /// what makes the result right.
    private static func subtract(_ a: inout [UInt64], _ b: [UInt64]) {
        var borrow = false
        for i in 0..<a.count {
            let (d1, o1) = a[i].subtractingReportingOverflow(b[i])
            let (d2, o2) = d1.subtractingReportingOverflow(borrow ? 1 : 0)
            a[i] = d2
            borrow = o1 || o2
        }
    }

    /// Big-endian bytes to little-endian limbs, as many limbs as the modulus needs.
    private static func limbs(_ bytes: [UInt8]) -> [UInt64] {
        var limbs = [UInt64](repeating: 0, count: (bytes.count + 7) / 8)
        for (i, byte) in bytes.reversed().enumerated() {
            limbs[i / 8] |= UInt64(byte) << UInt64(8 * (i % 8))
        }
        return limbs
    }

    private static func bytes(_ limbs: [UInt64], count: Int) -> [UInt8] {
        (0..<count).reversed().map { i in UInt8(truncatingIfNeeded: limbs[i / 8] >> UInt64(8 * (i % 8))) }
    }
}
