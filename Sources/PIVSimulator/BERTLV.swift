// BER-TLV as PIV uses it: one- or two-byte tags, definite lengths up to three bytes.
// Every parse is bounds-checked and throws on malformed input; hostile APDUs must give an
// error status word, never a trap.

/// One tag-length-value element.
struct TLV: Equatable {
    var tag: UInt32
    var value: [UInt8]

    init(_ tag: UInt32, _ value: [UInt8]) {
        self.tag = tag
        self.value = value
    }

    /// The encoded element: tag bytes, DER-style minimal length, value.
    var encoded: [UInt8] { TLV.tagBytes(tag) + TLV.encodeLength(value.count) + value }

    static func tagBytes(_ tag: UInt32) -> [UInt8] {
        if tag > 0xFFFF { return [UInt8(tag >> 16), UInt8(tag >> 8 & 0xFF), UInt8(tag & 0xFF)] }
        if tag > 0xFF { return [UInt8(tag >> 8), UInt8(tag & 0xFF)] }
        return [UInt8(tag)]
    }

    /// Length octets exactly as libykpiv's `_ykpiv_set_length` writes them (<0x80, 81 L, 82 HH LL).
    static func encodeLength(_ n: Int) -> [UInt8] {
        if n < 0x80 { return [UInt8(n)] }
        if n < 0x100 { return [0x81, UInt8(n)] }
        if n < 0x10000 { return [0x82, UInt8(n >> 8), UInt8(n & 0xFF)] }
        return [0x83, UInt8(n >> 16), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
    }
}

enum TLVError: Error, Equatable {
    case truncated
    case badLength
}

enum BERTLV {
    /// Parses a concatenation of TLVs covering `bytes` exactly.
    static func parse(_ bytes: ArraySlice<UInt8>) throws -> [TLV] {
        var out = [TLV]()
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let (tlv, next) = try parseOne(bytes, at: i)
            out.append(tlv)
            i = next
        }
        return out
    }

    static func parse(_ bytes: [UInt8]) throws -> [TLV] { try parse(bytes[...]) }

    /// Parses one TLV starting at `start`; returns it and the index just past it.
    static func parseOne(_ bytes: ArraySlice<UInt8>, at start: Int) throws -> (TLV, Int) {
        var i = start
        guard i < bytes.endIndex else { throw TLVError.truncated }
        var tag = UInt32(bytes[i])
        // Multi-byte tag: low five bits all set; continuation bytes have bit 8 set. PIV never
        // uses more than three tag bytes (e.g. 5F C1 05 is a GET DATA id, not a tag, though).
        if bytes[i] & 0x1F == 0x1F {
            var n = 0
            repeat {
                i += 1
                n += 1
                guard i < bytes.endIndex, n <= 2 else { throw TLVError.truncated }
                tag = tag << 8 | UInt32(bytes[i])
            } while bytes[i] & 0x80 != 0
        }
        i += 1
        guard i < bytes.endIndex else { throw TLVError.truncated }
        var length = 0
        let first = bytes[i]
        i += 1
        if first < 0x80 {
            length = Int(first)
        } else {
            let n = Int(first & 0x7F)
            guard n >= 1, n <= 3 else { throw TLVError.badLength }
            guard bytes.endIndex - i >= n else { throw TLVError.truncated }
            for _ in 0..<n {
                length = length << 8 | Int(bytes[i])
                i += 1
            }
        }
        guard bytes.endIndex - i >= length else { throw TLVError.truncated }
        let value = Array(bytes[i..<(i + length)])
        return (TLV(tag, value), i + length)
    }
}

extension Array where Element == TLV {
    /// The first element with `tag`, if any.
    func first(tag: UInt32) -> TLV? { first { $0.tag == tag } }
}
