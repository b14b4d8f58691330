import Foundation
import TestSupport
@testable import AgeFormat
import XCTest

/// The armor reader decodes a line straight into the caller's buffer when a whole line fits
/// there and through a line buffer of its own when it does not, so every rule of the strict
/// armor must hold on both paths, whatever the reads' sizes: these read the same inputs 1, 47,
/// 48, 49, 700 and 64 KiB bytes at a time.
final class ArmorReadSizeTests: XCTestCase {
    static let readSizes = [1, 47, 48, 49, 700, 65536]

    /// Everything `reader` gives, `size` bytes a read at most.
    func readAll(_ input: [UInt8], size: Int) throws -> [UInt8] {
        let reader = ArmorReader(source: PeekableSource(BytesSource(input)))
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: size)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
            if n == 0 { return out }
            out += buffer[..<n]
        }
    }

    /// Lines of `data` (four full lines and a short one) as the armor writer makes them.
    func lines(_ data: [UInt8]) -> [String] {
        String(decoding: TestFile.armored(data), as: UTF8.self).split(separator: "\n").map(String.init)
    }

    func joined(_ lines: [String], eol: String = "\n") -> [UInt8] { Array((lines.joined(separator: eol) + eol).utf8) }

    func testValidArmorDecodesTheSameAtEveryReadSize() throws {
        for length in [0, 1, 47, 48, 49, 200, 48 * 30] {
            let data = randomBytes(length)
            for size in Self.readSizes {
                XCTAssertEqual(try readAll(TestFile.armored(data), size: size), data, "length \(length) read \(size)")
                XCTAssertEqual(try readAll(TestFile.armored(data, eol: "\r\n"), size: size), data, "CRLF length \(length) read \(size)")
            }
        }
    }

    func testEveryMalformedLineIsRefusedAtEveryReadSize() throws {
        let data = randomBytes(200) // four lines of 64 columns, then one of 12
        let good = lines(data)
        XCTAssertEqual(good.count, 7)
        func edit(_ change: (inout [String]) -> Void) -> [UInt8] { var l = good; change(&l); return joined(l) }
        let refused: [(String, [UInt8])] = [
            ("a 65-column line", edit { $0[1] += String($0[2].prefix(1)); $0[2] = String($0[2].dropFirst()) }),
            ("a 63-column line inside", edit { $0[2] = String($0[1].suffix(1)) + $0[2]; $0[1] = String($0[1].dropLast()) }),
            ("a 60-column line inside", edit { $0[2] = String($0[2].prefix(60)) }),
            ("a full line cut in two", edit { let l = $0[3]; $0[3] = String(l.prefix(32)); $0.insert(String(l.dropFirst(32)), at: 4) }),
            ("an empty line", edit { $0.insert("", at: 3) }),
            ("a line of spaces", edit { $0.insert("    ", at: 3) }),
            ("a trailing space", edit { $0[2] += " " }),
            ("a CR inside a line", edit { $0[2] = String($0[2].prefix(30)) + "\r" + String($0[2].dropFirst(31)) }),
            ("padding inside a line", edit { $0[2] = String($0[2].prefix(60)) + "AA==" }),
            ("a non-alphabet character", edit { $0[2] = "-" + String($0[2].dropFirst()) }),
            ("the last line unpadded", edit { $0[5] = $0[5].trimmingCharacters(in: ["="]) }),
            ("the last line's stray bits", edit { $0[5] = notCanonical($0[5]) }),
            ("a line after the short one", edit { $0.insert($0[1], at: 6) }),
            ("no END line", edit { $0.removeLast() }),
            ("a wrong END line", edit { $0[6] = "-----END AGE ENCRYPTED FILES-----" }),
            ("data after END", edit { $0.append("AAAA") }),
            ("a 66-column line", edit { $0[1] += "AA" }),
        ]
        for (name, input) in refused {
            for size in Self.readSizes {
                XCTAssertThrowsError(try readAll(input, size: size), "\(name), read \(size)") { error in
                    guard case .malformedArmor = error as? AgeError else { return XCTFail("\(name), read \(size): \(error)") }
                }
            }
        }
    }

    /// The last line with its final data character changed so that it keeps the alphabet but
    /// sets the bits the padding says are unused.
    func notCanonical(_ line: String) -> String {
        let stripped = line.trimmingCharacters(in: ["="])
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        let last = alphabet.firstIndex(of: stripped.last!)!
        return String(stripped.dropLast()) + String(alphabet[last | 1]) + String(repeating: "=", count: line.count - stripped.count)
    }
}
