import Crypto
import XCTest
@testable import AgeFormat

/// age's HKDF-SHA-256 and HMAC-SHA-256 over libsodium (HKDF.swift), held to RFC 5869's test
/// vectors and to swift-crypto's generic HKDF and HMAC, which they replace on the decrypt path.
final class HKDFTests: XCTestCase {
    /// RFC 5869 appendix A, cases 1 to 3 (SHA-256). Their outputs are 42 and 82 bytes; age asks
    /// for 32, the first block, which is the first 32 bytes of theirs.
    func testRFC5869Vectors() {
        let cases: [(ikm: [UInt8], salt: [UInt8], info: [UInt8], okm: String)] = [
            (hex(String(repeating: "0b", count: 22)), hex("000102030405060708090a0b0c"), hex("f0f1f2f3f4f5f6f7f8f9"),
             "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"),
            (Array(0x00...0x4f), Array(0x60...0xaf), Array(0xb0...0xff),
             "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"),
            (hex(String(repeating: "0b", count: 22)), [], [],
             "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"),
        ]
        for (n, c) in cases.enumerated() {
            XCTAssertEqual(HKDFSHA256.derive(inputKeyMaterial: c.ikm, salt: c.salt, info: c.info), Array(hex(c.okm).prefix(32)), "RFC 5869 case \(n + 1)")
        }
    }

    /// Random inputs of every length around HMAC's 64-byte block (keys longer than a block are
    /// hashed first), against swift-crypto.
    func testAgreesWithSwiftCrypto() {
        var rng = SystemRandomNumberGenerator()
        for length in [0, 1, 16, 31, 32, 33, 63, 64, 65, 100, 200] {
            let ikm = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let salt = (0..<((length * 7) % 90)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let info = Array("age-encryption.org/v1/X25519".utf8) + (0..<length % 5).map { UInt8($0) }
            let theirs = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: ikm), salt: salt, info: info, outputByteCount: 32)
            XCTAssertEqual(HKDFSHA256.derive(inputKeyMaterial: ikm, salt: salt, info: info), theirs.withUnsafeBytes { Array($0) }, "length \(length)")
            let mac = HMACSHA256.code(key: salt, message: ikm)
            XCTAssertEqual(mac, Array(HMAC<SHA256>.authenticationCode(for: ikm, using: SymmetricKey(data: salt))), "HMAC, length \(length)")
            XCTAssertTrue(HMACSHA256.isValid(mac, key: salt, message: ikm))
            var flipped = mac
            flipped[length % 32] ^= 1
            XCTAssertFalse(HMACSHA256.isValid(flipped, key: salt, message: ikm), "a changed MAC passed")
            XCTAssertFalse(HMACSHA256.isValid(Array(mac.prefix(31)), key: salt, message: ikm), "a short MAC passed")
        }
    }
}
