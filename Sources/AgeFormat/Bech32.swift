/// BIP-173 Bech32, as age uses it for keys: the original checksum (not Bech32m), no 90-character
/// limit (post-quantum keys are far longer), one case throughout. Written here because swift-crypto
/// has no Bech32, and kept small enough to check against the BIP's vectors by eye.
public enum Bech32 {
    static let charset: [UInt8] = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    static let charsetIndex: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (i, c) in charset.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    static func polymod(_ values: [UInt8]) -> UInt32 {
        let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
        var chk: UInt32 = 1
        for v in values {
            let top = chk >> 25
            chk = (chk & 0x1ff_ffff) << 5 ^ UInt32(v)
            for i in 0..<5 where (top >> UInt32(i)) & 1 == 1 { chk ^= generator[i] }
        }
        return chk
    }

    static func hrpExpand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    /// Regroups bits; with `pad` false the leftover must be under 5 bits and all zero.
    static func convertBits(_ data: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var acc = 0, bits = 0
        var out: [UInt8] = []
        let maxv = (1 << to) - 1
        for value in data {
            guard Int(value) >> from == 0 else { return nil }
            acc = (acc << from) | Int(value)
            bits += from
            while bits >= to {
                bits -= to
                out.append(UInt8((acc >> bits) & maxv))
            }
        }
        if pad {
            if bits > 0 { out.append(UInt8((acc << (to - bits)) & maxv)) }
        } else if bits >= from || (acc << (to - bits)) & maxv != 0 {
            return nil
        }
        return out
    }

    /// Encodes `data` (8-bit bytes) under `hrp`. The result is lowercase unless `hrp` is
    /// uppercase, in which case the whole string is (age prints identities in uppercase).
    public static func encode(hrp: String, data: [UInt8]) -> String {
        let upper = hrp.contains { $0.isUppercase }
        let lowHRP = Array(hrp.lowercased().utf8)
        let values = convertBits(data, from: 8, to: 5, pad: true)!
        let mod = polymod(hrpExpand(lowHRP) + values + [0, 0, 0, 0, 0, 0]) ^ 1
        let checksum = (0..<6).map { UInt8((mod >> UInt32(5 * (5 - $0))) & 31) }
        let text = String(decoding: lowHRP + [UInt8(ascii: "1")] + (values + checksum).map { charset[Int($0)] }, as: UTF8.self)
        return upper ? text.uppercased() : text
    }

    /// Decodes a Bech32 string; returns the human-readable part in lowercase and the data bytes.
    public static func decode(_ string: String) throws -> (hrp: String, data: [UInt8]) {
        let bytes = Array(string.utf8)
        guard bytes.allSatisfy({ (33...126).contains($0) }) else {
            throw AgeError.invalidKey("bech32 string has a character outside printable ASCII")
        }
        let hasLower = bytes.contains { (97...122).contains($0) }
        let hasUpper = bytes.contains { (65...90).contains($0) }
        guard !(hasLower && hasUpper) else { throw AgeError.invalidKey("bech32 string mixes upper and lower case") }
        let lower = bytes.map { (65...90).contains($0) ? $0 + 32 : $0 }
        guard let sep = lower.lastIndex(of: UInt8(ascii: "1")), sep >= 1, lower.count - sep - 1 >= 6 else {
            throw AgeError.invalidKey("bech32 string has no separator, an empty prefix or a short checksum")
        }
        let hrp = Array(lower[..<sep])
        var values: [UInt8] = []
        for c in lower[(sep + 1)...] {
            let v = c < 128 ? charsetIndex[Int(c)] : -1
            guard v >= 0 else { throw AgeError.invalidKey("bech32 string has an invalid data character") }
            values.append(UInt8(v))
        }
        guard polymod(hrpExpand(hrp) + values) == 1 else { throw AgeError.invalidKey("bech32 checksum mismatch (typo in the key?)") }
        guard let data = convertBits(Array(values.dropLast(6)), from: 5, to: 8, pad: false) else {
            throw AgeError.invalidKey("bech32 data has invalid padding")
        }
        return (String(decoding: hrp, as: UTF8.self), data)
    }
}
