/// The two base64 dialects age uses, both strict.
///
/// Header stanzas use *unpadded* standard base64 and the spec demands canonical encodings: an
/// encoder has exactly one way to write any byte string, so a decoder that accepted a second way
/// (padding, stray low bits) would make headers malleable and the MAC over their raw bytes
/// ambiguous. ASCII armor is the one place with `=` padding; it is just as strict.
public enum AgeBase64 {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// 0xFF marks bytes outside the alphabet (including `=`, CR, LF and space).
    static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    /// Unpadded standard base64, as stanza arguments and bodies are written.
    public static func encodeUnpadded<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        String(decoding: encode(bytes, padded: false), as: UTF8.self)
    }

    /// Padded standard base64 as ASCII bytes (armor lines).
    static func encode<C: Collection>(_ bytes: C, padded: Bool) -> [UInt8] where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var it = bytes.makeIterator()
        while let b0 = it.next() {
            let b1 = it.next(), b2 = it.next()
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | (b1 ?? 0) >> 4)])
            if let b1 {
                out.append(alphabet[Int((b1 & 0x0F) << 2 | (b2 ?? 0) >> 6)])
            } else if padded { out.append(UInt8(ascii: "=")) }
            if let b2 {
                out.append(alphabet[Int(b2 & 0x3F)])
            } else if padded { out.append(UInt8(ascii: "=")) }
        }
        return out
    }

    /// Decodes canonical unpadded base64; nil for padding, foreign bytes, an impossible length or
    /// non-zero unused bits in the last character.
    public static func decodeUnpadded(_ string: String) -> [UInt8]? {
        decodeUnpadded(Array(string.utf8)[...])
    }

    /// Four characters to three bytes at a time, over the buffers in place: an armored manifest
    /// of 10 000 keys is 5 MB of base64, and a bit at a time with a bounds-checked append per
    /// byte was a tenth of an unlock's instructions.
    static func decodeUnpadded(_ chars: ArraySlice<UInt8>) -> [UInt8]? {
        let n = chars.count
        if n % 4 == 1 { return nil }
        let rest = n % 4
        let count = n / 4 * 3 + (rest == 0 ? 0 : rest - 1)
        var valid = true
        let out = chars.withUnsafeBufferPointer { src in
            decodeTable.withUnsafeBufferPointer { table in
                [UInt8](unsafeUninitializedCapacity: count) { dst, initialized in
                    // A character outside the alphabet decodes to 0xFF: its top bits mark it.
                    func value(_ i: Int) -> UInt32 { UInt32(table[Int(src[i])]) }
                    var i = 0, o = 0, bad: UInt32 = 0
                    while i + 4 <= n {
                        let a = value(i), b = value(i + 1), c = value(i + 2), d = value(i + 3)
                        bad |= a | b | c | d
                        let v = a << 18 | b << 12 | c << 6 | d
                        dst[o] = UInt8(truncatingIfNeeded: v >> 16)
                        dst[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
                        dst[o + 2] = UInt8(truncatingIfNeeded: v)
                        i += 4; o += 3
                    }
                    // Leftover bits must be zero for the encoding to be the canonical one.
                    if rest == 2 {
                        let a = value(i), b = value(i + 1)
                        bad |= a | b
                        let v = a << 6 | b
                        if v & 0x0F != 0 { bad |= 0xC0 }
                        dst[o] = UInt8(truncatingIfNeeded: v >> 4); o += 1
                    } else if rest == 3 {
                        let a = value(i), b = value(i + 1), c = value(i + 2)
                        bad |= a | b | c
                        let v = a << 12 | b << 6 | c
                        if v & 0x03 != 0 { bad |= 0xC0 }
                        dst[o] = UInt8(truncatingIfNeeded: v >> 10)
                        dst[o + 1] = UInt8(truncatingIfNeeded: v >> 2); o += 2
                    }
                    valid = bad & 0xC0 == 0
                    initialized = o
                }
            }
        }
        return valid ? out : nil
    }

    /// Decodes canonical padded base64 (length a multiple of 4, `=` only at the very end).
    static func decodePadded(_ chars: ArraySlice<UInt8>) -> [UInt8]? {
        guard chars.count % 4 == 0 else { return nil }
        var body = chars
        var pads = 0
        while pads < 2, body.last == UInt8(ascii: "=") {
            body = body.dropLast()
            pads += 1
        }
        // Padding must be exactly what the unpadded length implies (2 chars → "==", 3 → "=").
        let expected = [0, 2, 1][body.count % 4 == 0 ? 0 : (body.count % 4 == 2 ? 1 : 2)]
        if body.count % 4 == 1 || pads != expected { return nil }
        return decodeUnpadded(body)
    }
}
