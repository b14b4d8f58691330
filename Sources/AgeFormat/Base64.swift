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
        if n == 0 { return [] }
        let rest = n % 4
        let count = n / 4 * 3 + (rest == 0 ? 0 : rest - 1)
        var valid = true
        let out = chars.withUnsafeBufferPointer { src in
            [UInt8](unsafeUninitializedCapacity: count) { dst, initialized in
                let written = decode(src.baseAddress!, count: n, into: dst.baseAddress!)
                valid = written != nil
                initialized = written ?? 0
            }
        }
        return valid ? out : nil
    }

    /// The decoder itself, over raw memory so armor lines decode straight into the reader's
    /// buffer (no array per line): canonical unpadded base64 from `count` characters at `src`
    /// into `dst`, which has room for the decoded length (3 bytes per whole group of 4, one less
    /// than the characters of a last partial group). Returns the bytes written, or
    /// nil for a foreign byte, an impossible length or non-zero unused bits in the last character
    /// (`dst` then holds garbage, which the caller drops).
    static func decode(_ src: UnsafePointer<UInt8>, count n: Int, into dst: UnsafeMutablePointer<UInt8>) -> Int? {
        let rest = n % 4
        if rest == 1 { return nil }
        return decodeTable.withUnsafeBufferPointer { tableBuffer -> Int? in
            let table = tableBuffer.baseAddress!
            // A character outside the alphabet decodes to 0xFF: its top bits mark it.
            @inline(__always) func value(_ i: Int) -> UInt32 { UInt32(table[Int(src[i])]) }
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
            return bad & 0xC0 == 0 ? o : nil
        }
    }

    /// Decodes canonical padded base64 (length a multiple of 4, `=` only at the very end).
    static func decodePadded(_ chars: ArraySlice<UInt8>) -> [UInt8]? {
        guard chars.count % 4 == 0 else { return nil }
        if chars.isEmpty { return [] }
        var valid = true
        let out = chars.withUnsafeBufferPointer { src in
            [UInt8](unsafeUninitializedCapacity: chars.count / 4 * 3) { dst, initialized in
                let written = decodePadded(src.baseAddress!, count: chars.count, into: dst.baseAddress!)
                valid = written != nil
                initialized = written ?? 0
            }
        }
        return valid ? out : nil
    }

    /// The same over raw memory, into `dst` with room for `count / 4 * 3` bytes: what the armor
    /// reader calls once per line, so it allocates nothing.
    static func decodePadded(_ src: UnsafePointer<UInt8>, count: Int, into dst: UnsafeMutablePointer<UInt8>) -> Int? {
        guard count % 4 == 0 else { return nil }
        var body = count, pads = 0
        while pads < 2, body > 0, src[body - 1] == UInt8(ascii: "=") {
            body -= 1
            pads += 1
        }
        // Padding must be exactly what the unpadded length implies (2 chars → "==", 3 → "=",
        // none after a whole group); a length of 1 mod 4 is impossible.
        let rest = body % 4
        if rest == 1 || pads != (4 - rest) % 4 { return nil }
        return decode(src, count: body, into: dst)
    }
}
