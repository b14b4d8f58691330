import XCTest
@testable import KeyrackCore

/// A key's fields are found by a slot of their name (`KeyEntryReader.Field.init(named:)`): each
/// name must find its own field, and nothing else any field.
final class KeyEntryFieldTests: XCTestCase {
    private func field(_ name: [UInt8]) -> KeyEntryReader.Field? {
        name.withUnsafeBufferPointer { KeyEntryReader.Field(named: $0) }
    }

    func testEveryFieldIsFoundByItsNameAndNoOtherName() {
        var near: [[UInt8]] = [[], Array("s".utf8), Array("sl".utf8), Array("slugs".utf8), Array("Slug".utf8), Array("createdAT".utf8)]
        for field in KeyEntryReader.Field.allCases {
            let name = Array(field.name.utf8)
            XCTAssertEqual(self.field(name), field, field.name)
            // The name one byte off, shorter, longer.
            for i in name.indices {
                for b: UInt8 in [0, 0x20, name[i] ^ 0x20, name[i] &+ 1, 0xff] where b != name[i] {
                    var other = name
                    other[i] = b
                    near.append(other)
                }
            }
            near.append(Array(name.dropLast()))
            near.append(name + [name.last!])
        }
        for name in near { XCTAssertNil(field(name), String(decoding: name, as: UTF8.self)) }
        // Every length and second byte, with each field's other bytes.
        for field in KeyEntryReader.Field.allCases {
            for b in 0...255 {
                var name = Array(field.name.utf8)
                name[1] = UInt8(b)
                XCTAssertEqual(self.field(name), b == Int(Array(field.name.utf8)[1]) ? field : nil, "\(field.name) with byte \(b)")
            }
        }
    }
}
