// ISO 7816-4 command APDUs and status words. libykpiv never sends Le, and a 5-byte APDU ending
// in 00 means "no data" (case 2), so a card must always return its data whether or not Le is
// present; ykman sends extended-length APDUs (Lc 00 HH LL) to firmware 4+ over USB.

/// A parsed short command APDU.
struct CommandAPDU: Equatable {
    var cla: UInt8
    var ins: UInt8
    var p1: UInt8
    var p2: UInt8
    var data: [UInt8]
    /// Expected response length; nil when absent (case 1 and 3), 256 for a 00 byte.
    var le: Int?

    /// True when the chaining bit (CLA 10) says more segments of this command follow.
    var isChained: Bool { cla & 0x10 != 0 }

    /// Parses a short or extended APDU (ISO 7816-4 cases 1–4); throws `StatusWord.wrongLength`
    /// for anything else. libykpiv sends short APDUs only; ykman and yubikit switch to extended
    /// ones over USB once they know the firmware (`SmartCardProtocol.configure`).
    init(_ bytes: [UInt8]) throws {
        guard bytes.count >= 4 else { throw StatusWord.wrongLength }
        let (data, le) = try CommandAPDU.body(bytes)
        self.init(cla: bytes[0], ins: bytes[1], p1: bytes[2], p2: bytes[3], data: data, le: le)
    }

    /// Data and Le of an APDU whose header is `bytes[0..<4]`.
    private static func body(_ bytes: [UInt8]) throws -> ([UInt8], Int?) {
        switch bytes.count {
        case 4:
            return ([], nil)
        case 5:
            return ([], bytes[4] == 0 ? 256 : Int(bytes[4]))
        case 7 where bytes[4] == 0:
            // Extended case 2: 00 Le Le (0000 = 65536).
            return ([], extendedLe(bytes[5], bytes[6]))
        default:
            if bytes[4] == 0 {
                // Extended cases 3 and 4: 00 Lc Lc data [Le Le].
                guard bytes.count >= 8 else { throw StatusWord.wrongLength }
                let lc = Int(bytes[5]) << 8 | Int(bytes[6])
                guard lc > 0 else { throw StatusWord.wrongLength }
                if bytes.count == 7 + lc { return (Array(bytes[7...]), nil) }
                if bytes.count == 9 + lc { return (Array(bytes[7..<(7 + lc)]), extendedLe(bytes[7 + lc], bytes[8 + lc])) }
                throw StatusWord.wrongLength
            }
            let lc = Int(bytes[4])
            if bytes.count == 5 + lc { return (Array(bytes[5...]), nil) }
            if bytes.count == 6 + lc { return (Array(bytes[5..<(5 + lc)]), bytes[5 + lc] == 0 ? 256 : Int(bytes[5 + lc])) }
            throw StatusWord.wrongLength
        }
    }

    private static func extendedLe(_ hi: UInt8, _ lo: UInt8) -> Int {
        let n = Int(hi) << 8 | Int(lo)
        return n == 0 ? 65536 : n
    }

    init(cla: UInt8 = 0, ins: UInt8, p1: UInt8, p2: UInt8, data: [UInt8] = [], le: Int? = nil) {
        self.cla = cla; self.ins = ins; self.p1 = p1; self.p2 = p2; self.data = data; self.le = le
    }
}

/// The status words this card answers with. Thrown by instruction handlers to end a command.
struct StatusWord: Error, Equatable, CustomStringConvertible {
    var sw1: UInt8
    var sw2: UInt8

    init(_ sw1: UInt8, _ sw2: UInt8) { self.sw1 = sw1; self.sw2 = sw2 }

    var bytes: [UInt8] { [sw1, sw2] }
    var description: String { String(format: "%02X%02X", sw1, sw2) }

    static let ok = StatusWord(0x90, 0x00)
    static let wrongLength = StatusWord(0x67, 0x00)
    static let securityStatusNotSatisfied = StatusWord(0x69, 0x82)
    static let authenticationBlocked = StatusWord(0x69, 0x83)
    static let conditionsNotSatisfied = StatusWord(0x69, 0x85)
    static let incorrectData = StatusWord(0x6A, 0x80)
    static let notFound = StatusWord(0x6A, 0x82)
    static let notEnoughMemory = StatusWord(0x6A, 0x84)
    static let incorrectP1P2 = StatusWord(0x6A, 0x86)
    static let referenceNotFound = StatusWord(0x6A, 0x88)
    static let wrongP1P2 = StatusWord(0x6B, 0x00)
    static let insNotSupported = StatusWord(0x6D, 0x00)
    static let claNotSupported = StatusWord(0x6E, 0x00)

    /// `63 Cx`: wrong PIN/PUK with x tries left (nibble capped at F).
    static func wrongPIN(triesLeft: Int) -> StatusWord { StatusWord(0x63, 0xC0 | UInt8(min(max(triesLeft, 0), 15))) }
    /// `61 xx`: more response data; xx = remaining, or 00 for 256 and more.
    static func moreData(_ remaining: Int) -> StatusWord { StatusWord(0x61, remaining >= 256 ? 0 : UInt8(remaining)) }
}

import Foundation  // String(format:)
