// The few byte-level helpers the PIV client needs: BER-TLV as PIV uses it (one-byte tags except
// where noted, lengths 1–3 bytes), status words, and PIN padding. Kept apart from the card code so
// the parsing can be unit-tested without a card.

/// An ISO 7816 status word.
public struct StatusWord: Equatable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }
    public init(sw1: UInt8, sw2: UInt8) { rawValue = UInt16(sw1) << 8 | UInt16(sw2) }

    public static let ok = StatusWord(0x9000)
    public static let securityStatusNotSatisfied = StatusWord(0x6982)
    public static let authenticationBlocked = StatusWord(0x6983)
    public static let incorrectData = StatusWord(0x6A80)
    public static let fileNotFound = StatusWord(0x6A82)
    public static let referenceNotFound = StatusWord(0x6A88)
    public static let insNotSupported = StatusWord(0x6D00)

    /// `63Cx`: a wrong PIN/PUK with `x` tries left. Early YubiKey 4 firmware used `630x`.
    public var triesLeft: Int? {
        if rawValue & 0xFFF0 == 0x63C0 { return Int(rawValue & 0x0F) }
        if rawValue & 0xFFF0 == 0x6300 { return Int(rawValue & 0x0F) }
        return nil
    }

    public var description: String { hex4(rawValue) }
}

/// Minimal BER-TLV for PIV objects and templates.
enum TLV {
    /// Encodes `tag` (1–2 bytes as given) and the DER-style length of `value`.
    static func encode(_ tag: [UInt8], _ value: [UInt8]) -> [UInt8] {
        tag + encodeLength(value.count) + value
    }

    static func encode(_ tag: UInt8, _ value: [UInt8]) -> [UInt8] { encode([tag], value) }

    static func encodeLength(_ n: Int) -> [UInt8] {
        if n < 0x80 { return [UInt8(n)] }
        if n < 0x100 { return [0x81, UInt8(n)] }
        return [0x82, UInt8(n >> 8), UInt8(n & 0xFF)]
    }

    /// Splits `bytes` into (tag, value) pairs with one-byte tags, except the two-byte `7F 49`
    /// (public key template) and any tag whose low five bits are all set.
    static func parse(_ bytes: [UInt8]) throws -> [(tag: UInt16, value: [UInt8])] {
        var out: [(UInt16, [UInt8])] = []
        var i = 0
        while i < bytes.count {
            var tag = UInt16(bytes[i])
            i += 1
            if tag & 0x1F == 0x1F {
                guard i < bytes.count else { throw PIVError.malformedResponse("truncated TLV tag") }
                tag = tag << 8 | UInt16(bytes[i])
                i += 1
            }
            guard i < bytes.count else { throw PIVError.malformedResponse("TLV without length") }
            var length = Int(bytes[i])
            i += 1
            if length == 0x81 || length == 0x82 {
                let n = length & 0x7F
                guard i + n <= bytes.count else { throw PIVError.malformedResponse("truncated TLV length") }
                length = bytes[i..<i + n].reduce(0) { $0 << 8 | Int($1) }
                i += n
            } else if length > 0x80 {
                throw PIVError.malformedResponse("unsupported TLV length form")
            }
            guard i + length <= bytes.count else { throw PIVError.malformedResponse("TLV value runs past the end") }
            out.append((tag, Array(bytes[i..<i + length])))
            i += length
        }
        return out
    }

    /// The value of the first `tag`, or nil.
    static func find(_ tag: UInt16, in bytes: [UInt8]) throws -> [UInt8]? {
        try parse(bytes).first { $0.tag == tag }?.value
    }
}

/// PINs and PUKs go to the card as 8 bytes, right-padded with 0xFF.
enum PINPadding {
    static func pad(_ secret: [UInt8]) -> [UInt8] {
        secret + [UInt8](repeating: 0xFF, count: max(0, 8 - secret.count))
    }
}

