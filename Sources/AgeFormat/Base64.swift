/// The two base64 dialects age uses, both strict.
///
/// Header stanzas use *unpadded* standard base64 and the spec demands canonical encodings: an
/// encoder has exactly one way to write any byte string, so a decoder that accepted a second way
/// (padding, stray low bits) would make headers malleable and the MAC over their raw bytes
/// ambiguous. ASCII armor is the one place with `=` padding; it is just as strict.
public enum AgeBase64 {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

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

    /// One table per position in a group of four characters: a character's six bits already
    /// where they land among the group's three output bytes, laid out as the little-endian
    /// word those bytes make (first byte lowest), so a group is four lookups OR-ed together and
    /// one store. A byte outside the alphabet (`=`, CR, LF, space, anything else) has the top
    /// byte set in all four, so the same OR also says whether the group was clean: one test
    /// per group, or per armor line, instead of a shift, an OR and a test per character.
    static let groupTables: [UInt32] = {
        var table = [UInt32](repeating: invalidBits, count: 4 * 256)
        for (i, c) in alphabet.enumerated() {
            for position in 0..<4 {
                let bits = UInt32(i) << (18 - 6 * position)  // big-endian: the group's 24 bits
                table[position * 256 + Int(c)] = (bits >> 16) & 0xFF | (bits >> 8 & 0xFF) << 8 | (bits & 0xFF) << 16
            }
        }
        return table
    }()

    /// The bits only a byte outside the alphabet sets in `groupTables`.
    static let invalidBits: UInt32 = 0xFF00_0000

    /// A group's three bytes as a little-endian word (and `invalidBits` if any of its four
    /// characters is foreign).
    @inline(__always)
    private static func group(_ t: UnsafePointer<UInt32>, _ p: UnsafePointer<UInt8>) -> UInt32 {
        t[Int(p[0])] | t[256 + Int(p[1])] | t[512 + Int(p[2])] | t[768 + Int(p[3])]
    }

    @inline(__always)
    private static func store3(_ v: UInt32, _ d: UnsafeMutablePointer<UInt8>) {
        d[0] = UInt8(truncatingIfNeeded: v)
        d[1] = UInt8(truncatingIfNeeded: v >> 8)
        d[2] = UInt8(truncatingIfNeeded: v >> 16)
    }

    /// Four groups (16 characters, 12 bytes) with one 4-byte store each, in order, every store's
    /// fourth byte overwritten by the next: 13 bytes are written. Returns the groups' OR.
    @inline(__always)
    private static func quad(_ t: UnsafePointer<UInt32>, _ s: UnsafePointer<UInt8>, _ d: UnsafeMutableRawPointer) -> UInt32 {
        let a = group(t, s), b = group(t, s + 4), c = group(t, s + 8), e = group(t, s + 12)
        d.storeBytes(of: a.littleEndian, toByteOffset: 0, as: UInt32.self)
        d.storeBytes(of: b.littleEndian, toByteOffset: 3, as: UInt32.self)
        d.storeBytes(of: c.littleEndian, toByteOffset: 6, as: UInt32.self)
        d.storeBytes(of: e.littleEndian, toByteOffset: 9, as: UInt32.self)
        return a | b | c | e
    }

    /// The decoder itself, over raw memory so armor lines decode straight into the reader's
    /// buffer (no array per line): canonical unpadded base64 from `count` characters at `src`
    /// into `dst`, which has room for the decoded length (3 bytes per whole group of 4, one less
    /// than the characters of a last partial group). Returns the bytes written, or
    /// nil for a foreign byte, an impossible length or non-zero unused bits in the last character
    /// (`dst` then holds garbage, which the caller drops). Table lookups, as before, over
    /// what is ciphertext or public header text; the branches depend only on the length.
    static func decode(_ src: UnsafePointer<UInt8>, count n: Int, into dst: UnsafeMutablePointer<UInt8>) -> Int? {
        let rest = n % 4
        if rest == 1 { return nil }
        return groupTables.withUnsafeBufferPointer { tableBuffer -> Int? in
            let t = tableBuffer.baseAddress!
            var i = 0, o = 0, bad: UInt32 = 0
            while i + 4 <= n {
                let v = group(t, src + i)
                bad |= v
                store3(v, dst + o)
                i += 4; o += 3
            }
            // Leftover bits must be zero for the encoding to be the canonical one: the second
            // character's low 4 (bits 12-15 of the word), or the third's low 2 (bits 22-23).
            if rest == 2 {
                let v = t[Int(src[i])] | t[256 + Int(src[i + 1])]
                bad |= v
                if v & 0xF000 != 0 { bad |= invalidBits }
                dst[o] = UInt8(truncatingIfNeeded: v); o += 1
            } else if rest == 3 {
                let v = t[Int(src[i])] | t[256 + Int(src[i + 1])] | t[512 + Int(src[i + 2])]
                bad |= v
                if v & 0xC0_0000 != 0 { bad |= invalidBits }
                dst[o] = UInt8(truncatingIfNeeded: v)
                dst[o + 1] = UInt8(truncatingIfNeeded: v >> 8); o += 2
            }
            return bad & invalidBits == 0 ? o : nil
        }
    }

    /// Armor's common case, whole lines at a time: up to `lines` lines of exactly 64 alphabet
    /// characters and an LF, 65 bytes apart at `src`, decoded to 48 bytes each at `dst` (room
    /// for `lines` × 48). Stops before the first line that is anything else (a short or long
    /// line, padding, CR, a foreign byte): the armor reader reads that one line by line, so
    /// it is accepted or refused exactly as before, with the same message. One validity test
    /// per line; `dst` may hold garbage past the lines returned. Returns the lines decoded.
    static func decodeFullLines(_ src: UnsafePointer<UInt8>, lines: Int, into dst: UnsafeMutablePointer<UInt8>) -> Int {
        groupTables.withUnsafeBufferPointer { tableBuffer -> Int in
            let t = tableBuffer.baseAddress!
            for line in 0..<lines {
                let s = src + line * (Armor.columns + 1)
                guard s[Armor.columns] == 0x0A else { return line }
                let d = UnsafeMutableRawPointer(dst + line * Armor.bytesPerLine)
                var bad = quad(t, s, d) | quad(t, s + 16, d + 12) | quad(t, s + 32, d + 24)
                if line + 1 < lines {
                    // The last store's spare byte is the next line's first: there is room.
                    bad |= quad(t, s + 48, d + 36)
                } else {
                    let a = group(t, s + 48), b = group(t, s + 52), c = group(t, s + 56), e = group(t, s + 60)
                    d.storeBytes(of: a.littleEndian, toByteOffset: 36, as: UInt32.self)
                    d.storeBytes(of: b.littleEndian, toByteOffset: 39, as: UInt32.self)
                    d.storeBytes(of: c.littleEndian, toByteOffset: 42, as: UInt32.self)
                    store3(e, dst + line * Armor.bytesPerLine + 45)
                    bad |= a | b | c | e
                }
                if bad & invalidBits != 0 { return line }
            }
            return lines
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
