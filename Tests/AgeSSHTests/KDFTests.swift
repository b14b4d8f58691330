import XCTest
@testable import AgeSSH

/// Blowfish and bcrypt_pbkdf against published vectors. The bcrypt_pbkdf values come from
/// OpenBSD's implementation (its regression vector for "password"/"salt", the rest computed with
/// Debian's python3-bcrypt, which wraps the same C code) and are fixed here.
final class KDFTests: XCTestCase {
    /// Eric Young's Blowfish ECB vectors (key, plaintext, ciphertext).
    func testBlowfishKnownAnswers() {
        let vectors: [(String, String, String)] = [
            ("0000000000000000", "0000000000000000", "4ef997456198dd78"),
            ("ffffffffffffffff", "ffffffffffffffff", "51866fd5b85ecb8a"),
            ("3000000000000000", "1000000000000001", "7d856f9a613063f2"),
            ("0123456789abcdef", "1111111111111111", "61f9c3802281b096"),
            ("fedcba9876543210", "0123456789abcdef", "0aceab0fc6a0a28d"),
        ]
        for (key, plain, cipher) in vectors {
            let blowfish = Blowfish(key: hex(key))
            let block = hex(plain)
            var l = block[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            var r = block[4..<8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            blowfish.encrypt(&l, &r)
            XCTAssertEqual(String(format: "%08x%08x", l, r), cipher, "key \(key)")
        }
    }

    func testBcryptPBKDFKnownAnswers() throws {
        let vectors: [(password: [UInt8], salt: [UInt8], rounds: Int, key: String)] = [
            (Array("password".utf8), Array("salt".utf8), 4,
             "5bbf0cc293587f1c3635555c27796598d47e579071bf427e9d8fbe842aba34d9"),
            (Array("password".utf8), Array("salt".utf8), 8,
             "e1367ec5151a33faac4cc1c144cd23fa15d5548493ecc99b9b5d9c0d3b27bec76227ea66088b849b20ab7aa478010246e74bba51723fefa9f9474d6508845e8d"),
            ([UInt8](repeating: 0, count: 8), [UInt8](repeating: 0, count: 8), 1, "f1599c715451c0877e1eeeba9674eaf3"),
            // What ssh-keygen derives for aes256-ctr: 48 bytes (key ‖ IV), 16 rounds, 16-byte salt.
            (Array("pw123456".utf8), Array(0..<16), 16,
             "d71fac8fc559752b64657482c329b81219f55623e3ea9ef8e4a9deda506d3962935fbe21cb48e62e374d6ef76960a337"),
            // 88 bytes: three blocks, so the non-linear interleave of a partial last block is exercised.
            (Array("correct horse battery staple".utf8), Array("0123456789abcdef".utf8), 2,
             "43265718452bc8519b3f24d4c1e8c60e37469b7b131d58224df880ec67ca663bc32ffa2fbeaebc340d23dea4ed142cb52cd96a50c91fa6d7ba9c6f0d6aebb515014cfb80f464cf26ac9a4f2c5c98d73c26cb7c87b5b1bbc6"),
            (Array("p".utf8), Array("s".utf8), 1, "ca"),
        ]
        for v in vectors {
            let key = try BcryptPBKDF.deriveKey(password: v.password, salt: v.salt, rounds: v.rounds, keyLength: v.key.count / 2)
            XCTAssertEqual(hexString(key), v.key, "rounds \(v.rounds), \(v.key.count / 2) bytes")
        }
    }

    func testBcryptPBKDFRefusesBadParameters() {
        let cases: [([UInt8], [UInt8], Int, Int)] = [
            ([], [1], 16, 32),                 // empty password
            ([1], [], 16, 32),                 // empty salt
            ([1], [1], 0, 32),                 // zero rounds
            ([1], [1], BcryptPBKDF.maxRounds + 1, 32),
            ([1], [1], 16, 0),
            ([1], [1], 16, 1025),
        ]
        for (password, salt, rounds, length) in cases {
            XCTAssertThrowsError(try BcryptPBKDF.deriveKey(password: password, salt: salt, rounds: rounds, keyLength: length)) {
                XCTAssertEqual($0 as? BcryptPBKDF.Failure, .invalidParameters)
            }
        }
    }
}
