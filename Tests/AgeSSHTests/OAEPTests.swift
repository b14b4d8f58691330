import Crypto
import XCTest
@testable import AgeSSH

/// EME-OAEP with age's label, against encodings made by an independent implementation
/// (pyca/cryptography: RSA-OAEP-SHA256 encryption with the label, then the raw RSA private
/// operation to recover EM; k = 256).
final class OAEPTests: XCTestCase {
    let label = Array("age-encryption.org/v1/ssh-rsa".utf8)

    /// (message, EM) pairs from pyca/cryptography.
    let vectors: [(message: String, em: String)] = [
        ("000102030405060708090a0b0c0d0e0f", "005180f98984a7327d24222d71668e268714c8183293c52004f28e8f78cc3b97f6dabca543dc85f77b9cb0702ec7f0cb841bae7ae0987b737d5af0483abb7ea8cb96bd0341c9f8b7a880170a7c977a751b559623b6c477cc7e2ae2e81297702bf3c8bbdc8e790cc91a55a56c7007be7781105b32a4c789ee7ccc87e4cccae9f84bfeaca921a72f895d4c2019b147b6e3edaff44e145d78a6febd04803d7508bed894f9389cdc7391fecf74d5be917e762f0442f07b96336ef59e0ce0fc4b2a2e687c20cbb2cb523aeac64e107c241c07c140f3f406b662844535908e8ba97e2b014520074d123fffd9c226ca3474d87f336b428e34065dba6a01479d9d484095"),
        ("", "00e918017140d763629177ae68ed5374782bcf1c232a234bb5775628b3064e11583ba3900b5fcd5088d2206c938d6712d9d245356eb2ecf25fec907d645bbbf722ae4b01b14dcc3e76602097279dbccbab0ee5f9a85482ac47071480c7afbc28a8b1807861b9ef6086f4a6c2146ec2a7e78f49fda002a7ef3c7e5b7cf1bbd2f8611be6ede86dd163d706cee59107ada36f1aac81e30b9e73ed919809892a07e8e4edd98b6a917d61a06327ba8e721a5ed6d18e9376e6de1a7f29ec597274a127d70b3e262d393497771f4521346b2f3a47a8bcae3813b283cbf0e7685011cb47bdd78860c947d3a158ede80d09ebfa9be197d997a95135fe27f78151323bd784"),
        (String(repeating: "78", count: 190), "00821b9564cb20a853ef568f53dad0ba0928a9c2d19bbfa459b432cf50042e4280c3f2de2bc7c37863d1d9502d417bab8fc469e6af672767ecaea8ab3e3a6e02da5b5d94f958fe0edda84e5d505c9c30cd29d81be0baf97f6099a929127ddd62297d05816f6aa7fc464c8dd8e1cecb546726bb063066aed56cd1025929be76e3113f66687e2eca8d2dc908f6da5f2afe8603fdd5debc2bec5e1d4dd693f00184e625178b36af287dfb4769437f5032bd875fc792701236c0fb2457abbef3c485e341878f22acfb82d4c5485c8c0331362d6fd2681c7025841afcc09499397a547ae09b884fec94ac097a4f7181d25bfa6a73f301557a53e3d7dbd6fb529a42b9"),
    ]

    func testDecodesIndependentEncodings() {
        for v in vectors {
            XCTAssertEqual(OAEP.decode(hex(v.em), label: label, modulusByteCount: 256).map(hexString), v.message)
        }
    }

    /// With the seed the other implementation chose (recovered from its EM), our encoder must
    /// produce its EM byte for byte.
    func testEncodesIdenticallyGivenTheSameSeed() {
        for v in vectors {
            let em = hex(v.em)
            let maskedSeed = Array(em[1...32]), maskedDB = Array(em[33...])
            let seedMask = OAEP.mgf1(seed: maskedDB, length: 32)
            let seed = zip(maskedSeed, seedMask).map { $0 ^ $1 }
            XCTAssertEqual(hexString(OAEP.encode(hex(v.message), label: label, modulusByteCount: 256, seed: seed)), v.em)
        }
    }

    /// MGF1-SHA-256 of "" for 40 bytes: SHA-256(00000000) ‖ SHA-256(00000001)[0..<8].
    func testMGF1() {
        let expected = Array(SHA256.hash(data: [0, 0, 0, 0])) + Array(SHA256.hash(data: [0, 0, 0, 1]).prefix(8))
        XCTAssertEqual(OAEP.mgf1(seed: [], length: 40), expected)
    }

    func testRoundTripsAtEveryLength() {
        for k in [256, 384, 512] {
            for length in [0, 1, 16, OAEP.maxMessageLength(modulusByteCount: k)] {
                let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7) }
                let em = OAEP.encode(message, label: label, modulusByteCount: k)
                XCTAssertEqual(em.count, k)
                XCTAssertEqual(em[0], 0)
                XCTAssertEqual(OAEP.decode(em, label: label, modulusByteCount: k), message)
            }
        }
    }

    /// Each way an encoding can be wrong gives nil, never a different message.
    func testRejectsEveryKindOfBadPadding() {
        let k = 256
        let message = (0..<16).map { UInt8($0) + 0x10 }   // neither 0x00 nor 0x01 first: the separator is unambiguous
        let seed = [UInt8](repeating: 0x42, count: 32)
        let good = OAEP.encode(message, label: label, modulusByteCount: k, seed: seed)
        XCTAssertEqual(OAEP.decode(good, label: label, modulusByteCount: k), message)

        // Wrong label.
        XCTAssertNil(OAEP.decode(good, label: Array("age-encryption.org/v1/ssh-rsa!".utf8), modulusByteCount: k))
        // Non-zero first byte.
        var firstByte = good; firstByte[0] = 1
        XCTAssertNil(OAEP.decode(firstByte, label: label, modulusByteCount: k))
        // Wrong length.
        XCTAssertNil(OAEP.decode(Array(good.dropLast()), label: label, modulusByteCount: k))

        // Build DBs with broken structure and mask them properly, so only that rule fails.
        func encodeDB(_ db: [UInt8]) -> [UInt8] {
            var db = db, maskedSeed = seed
            let dbMask = OAEP.mgf1(seed: seed, length: db.count)
            for i in 0..<db.count { db[i] ^= dbMask[i] }
            let seedMask = OAEP.mgf1(seed: db, length: 32)
            for i in 0..<32 { maskedSeed[i] ^= seedMask[i] }
            return [0] + maskedSeed + db
        }
        let lHash = Array(SHA256.hash(data: label))
        let psLength = k - message.count - 2 * 32 - 2
        let wellFormed = lHash + [UInt8](repeating: 0, count: psLength) + [1] + message
        XCTAssertEqual(encodeDB(wellFormed), good, "test's own encoder must agree with OAEP.encode")

        var noSeparator = wellFormed; noSeparator[32 + psLength] = 0
        XCTAssertNil(OAEP.decode(encodeDB(noSeparator), label: label, modulusByteCount: k))
        var allZero = lHash + [UInt8](repeating: 0, count: k - 33)
        XCTAssertNil(OAEP.decode(encodeDB(allZero), label: label, modulusByteCount: k))
        allZero[allZero.count - 1] = 2
        XCTAssertNil(OAEP.decode(encodeDB(allZero), label: label, modulusByteCount: k))
        var junkInPadding = wellFormed; junkInPadding[40] = 9
        XCTAssertNil(OAEP.decode(encodeDB(junkInPadding), label: label, modulusByteCount: k))
        var wrongHash = wellFormed; wrongHash[5] ^= 1
        XCTAssertNil(OAEP.decode(encodeDB(wrongHash), label: label, modulusByteCount: k))
        var twoSeparators = wellFormed; twoSeparators[32 + psLength + 1] = 1   // message starting 0x01 is fine
        XCTAssertEqual(OAEP.decode(encodeDB(twoSeparators), label: label, modulusByteCount: k), [1] + message.dropFirst())
    }
}
