import TestSupport
@testable import AgeFormat
import XCTest

/// The table-per-position base64 decoder and the whole-line armor path (issue 32) against the
/// decoder they replaced, kept here verbatim as the oracle: every input, valid or not (foreign
/// bytes, `=` anywhere, CR/LF, stray low bits, every length), must give the same bytes or the
/// same refusal.
final class Base64OracleTests: XCTestCase {
    /// Bytes that matter to base64: alphabet edges, padding, line ends, other ASCII, high bytes.
    static let interesting: [UInt8] = Array("AZaz09+/QgwBR=\r\n -_.".utf8) + [0x00, 0x7F, 0x80, 0xC0, 0xFF]

    func randomText(_ n: Int, foreignOdds: Int, using g: inout SystemRandomNumberGenerator) -> [UInt8] {
        (0..<n).map { _ in
            Int.random(in: 0..<foreignOdds, using: &g) == 0
                ? (Bool.random(using: &g) ? Self.interesting.randomElement(using: &g)! : UInt8.random(in: 0...255, using: &g))
                : OldBase64.alphabet.randomElement(using: &g)!
        }
    }

    func assertSame(_ text: [UInt8], _ note: @autoclosure () -> String = "") {
        XCTAssertEqual(AgeBase64.decodeUnpadded(text[...]), OldBase64.decodeUnpadded(text[...]), "unpadded \(text) \(note())")
        XCTAssertEqual(AgeBase64.decodePadded(text[...]), OldBase64.decodePadded(text[...]), "padded \(text) \(note())")
    }

    func testRandomTextDecodesAsTheOldDecoderDid() {
        var g = SystemRandomNumberGenerator()
        for n in 0...130 {
            for foreignOdds in [1, 3, 40, 1_000_000] {
                for _ in 0..<40 { assertSame(randomText(n, foreignOdds: foreignOdds, using: &g), "length \(n)") }
            }
            // Valid encodings, padded and not, of random bytes: identical and round-tripping.
            let bytes = randomBytes(n)
            assertSame(AgeBase64.encode(bytes, padded: true))
            assertSame(AgeBase64.encode(bytes, padded: false))
            XCTAssertEqual(AgeBase64.decodePadded(AgeBase64.encode(bytes, padded: true)[...]), bytes)
        }
    }

    /// Every byte value at every place of a group and of both partial tails (non-canonical
    /// low bits included), after a whole group and alone; beside it every alphabet character,
    /// the bytes around the alphabet's ranges and the interesting ones.
    func testEveryByteAtEveryPositionOfTheLastGroups() {
        let second = Array(Set(OldBase64.alphabet + Self.interesting + [0x40, 0x5B, 0x60, 0x7B, 0x2A, 0x2C, 0x2E, 0x3A]))
        for prefix in [[], Array("AAAA".utf8)] {
            for a in 0...255 {
                for b in second {
                    assertSame(prefix + [UInt8(a), UInt8(b)])
                    assertSame(prefix + [UInt8(ascii: "Q"), UInt8(a), UInt8(b)])
                    assertSame(prefix + [UInt8(a), UInt8(b), UInt8(ascii: "=")])
                }
                for position in 0..<4 {
                    var group = Array("Zm9v".utf8)
                    group[position] = UInt8(a)
                    assertSame(prefix + group)
                    assertSame(prefix + group + Array("QQ==".utf8))
                }
            }
        }
    }

    /// `decodeFullLines` takes exactly the plain full lines the line-by-line reader would have
    /// decoded to 48 bytes, with the same bytes, and stops at the first other line.
    func testFullLinesStopAtTheFirstLineTheOldDecoderWouldNotTakeWhole() {
        var g = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let count = Int.random(in: 1...8, using: &g)
            var text: [UInt8] = []
            for _ in 0..<count {
                text += AgeBase64.encode(randomBytes(48), padded: true) + [0x0A]
            }
            // Mutate zero to three random bytes (a foreign byte, `=`, CR or LF, or a valid one).
            for _ in 0..<Int.random(in: 0...3, using: &g) {
                text[Int.random(in: text.indices, using: &g)] = Bool.random(using: &g)
                    ? Self.interesting.randomElement(using: &g)! : UInt8.random(in: 0...255, using: &g)
            }
            var out = [UInt8](repeating: 0, count: count * 48)
            let lines = text.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { AgeBase64.decodeFullLines(src.baseAddress!, lines: count, into: $0.baseAddress!) }
            }
            var expected = 0
            while expected < count {
                let line = text[(expected * 65)..<(expected * 65 + 64)]
                guard text[expected * 65 + 64] == 0x0A, let decoded = OldBase64.decodePadded(line), decoded.count == 48 else { break }
                XCTAssertEqual(Array(out[(expected * 48)..<(expected * 48 + 48)]), decoded, "line \(expected)")
                expected += 1
            }
            XCTAssertEqual(lines, expected, "\(String(decoding: text, as: UTF8.self))")
        }
    }

    /// A source that hands out at most `size` bytes per read, so the armor reader's look-ahead
    /// is filled piece by piece (not the whole array at once, as for `BytesSource`).
    final class TrickleSource: ByteSource {
        let bytes: [UInt8]
        let size: Int
        var offset = 0
        init(_ bytes: [UInt8], size: Int) { self.bytes = bytes; self.size = size }
        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            let n = min(buffer.count, size, bytes.count - offset)
            for i in 0..<n { buffer[i] = bytes[offset + i] }
            offset += n
            return n
        }
    }

    /// What the armor reader gives for `input`, `size` bytes a read: the bytes, or the error as
    /// the user would read it.
    func armorOutcome(_ input: [UInt8], size: Int, trickle: Int?) -> String {
        let base: ByteSource = trickle.map { TrickleSource(input, size: $0) } ?? BytesSource(input)
        let reader = ArmorReader(source: PeekableSource(base))
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: size)
        do {
            while true {
                let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
                if n == 0 { return "ok \(out)" }
                out += buffer[..<n]
            }
        } catch { return "\(error)" }
    }

    /// Reads of one byte never take whole lines (a line does not fit): they are the reader as it
    /// was. Every other read size, from memory or trickled, must say the same about randomly
    /// damaged armor: the same bytes, or the same refusal in the same words.
    func testDamagedArmorIsJudgedAsByTheLineByLineReader() {
        var g = SystemRandomNumberGenerator()
        for round in 0..<60 {
            var input = TestFile.armored(randomBytes(Int.random(in: 0...700, using: &g)), eol: round % 7 == 0 ? "\r\n" : "\n")
            for _ in 0..<Int.random(in: 0...2, using: &g) {
                let i = Int.random(in: input.indices, using: &g)
                let byte = Bool.random(using: &g) ? Self.interesting.randomElement(using: &g)! : UInt8.random(in: 0...255, using: &g)
                switch Int.random(in: 0..<3, using: &g) {
                case 0: input[i] = byte
                case 1: input.insert(byte, at: i)
                default: input.remove(at: i)
                }
            }
            let oracle = armorOutcome(input, size: 1, trickle: nil)
            for (size, trickle) in [(48, nil), (49, 5), (700, nil), (65536, nil), (65536, 7), (65536, 65)] as [(Int, Int?)] {
                XCTAssertEqual(armorOutcome(input, size: size, trickle: trickle), oracle, "read \(size), trickle \(String(describing: trickle)): \(String(decoding: input, as: UTF8.self))")
            }
        }
    }
}

/// The decoder before issue 32's tables (commit 34b85dc), unchanged: the oracle above.
enum OldBase64 {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

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

    static func decode(_ src: UnsafePointer<UInt8>, count n: Int, into dst: UnsafeMutablePointer<UInt8>) -> Int? {
        let rest = n % 4
        if rest == 1 { return nil }
        return decodeTable.withUnsafeBufferPointer { tableBuffer -> Int? in
            let table = tableBuffer.baseAddress!
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

    static func decodePadded(_ src: UnsafePointer<UInt8>, count: Int, into dst: UnsafeMutablePointer<UInt8>) -> Int? {
        guard count % 4 == 0 else { return nil }
        var body = count, pads = 0
        while pads < 2, body > 0, src[body - 1] == UInt8(ascii: "=") {
            body -= 1
            pads += 1
        }
        let rest = body % 4
        if rest == 1 || pads != (4 - rest) % 4 { return nil }
        return decode(src, count: body, into: dst)
    }
}
