import AgeFormat
import XCTest
@testable import AgeSSH

/// ssh-rsa stanza bodies made by pyca/cryptography and by raw RSA in Python (RSAOAEPVectors,
/// see Vectors/generate-rsa-oaep.py) against keyrack's libcrypto RSA-OAEP: the well-formed ones
/// decrypt to their file keys, every broken one fails with the one error. The other direction,
/// and real keys from ssh-keygen, are KeyFileTests and AgeBinaryInteropTests (against the real age).
final class SSHRSAKnownAnswerTests: XCTestCase {
    private func identity() throws -> SSHRSAIdentity {
        let any = try SSHKeys.identity(fromPrivateKey: Array(RSAOAEPVectors.pkcs1PEM.utf8), passphrase: {
            XCTFail("an unencrypted key asks for no passphrase")
            return []
        })
        return try XCTUnwrap(any as? SSHRSAIdentity)
    }

    private func stanza(_ body: String, for identity: SSHRSAIdentity) -> Stanza {
        Stanza(type: "ssh-rsa", arguments: [identity.publicKey.tag], body: hex(body))
    }

    func testDecryptsIndependentCiphertexts() throws {
        let identity = try identity()
        for v in RSAOAEPVectors.wellFormed {
            XCTAssertEqual(try identity.unwrap([stanza(v.body, for: identity)])?.bytes, hex(v.fileKey))
        }
        let two = RSAOAEPVectors.twoSeparators
        XCTAssertEqual(try identity.unwrap([stanza(two.body, for: identity)])?.bytes, hex(two.fileKey),
                       "the first 01 after the padding separates; a file key may start with 01")
    }

    /// Wrong label, broken padding of each kind, a file key of the wrong length, a ciphertext
    /// not below the modulus: one error for all, so none can be told apart from outside.
    func testEveryMalformedCiphertextFailsAlike() throws {
        let identity = try identity()
        XCTAssertEqual(RSAOAEPVectors.malformed.count, 10)
        for v in RSAOAEPVectors.malformed {
            XCTAssertThrowsError(try identity.unwrap([stanza(v.body, for: identity)]), v.what) {
                XCTAssertEqual($0 as? SSHKeyError, .unwrapFailed(keyType: "ssh-rsa"), v.what)
            }
        }
    }

    /// What keyrack encrypts, the same key decrypts; and the body is one modulus long.
    func testRoundTripThroughTheVectorKey() throws {
        let identity = try identity()
        let fileKey = FileKey.random()
        let stanzas = try identity.recipient.wrap(fileKey)
        XCTAssertEqual(stanzas.map(\.body.count), [256])
        XCTAssertEqual(try identity.unwrap(stanzas), fileKey)
    }

    /// The numbers alone make the same key; altered ones are refused when the key is made, not
    /// at the first decryption.
    func testInconsistentComponentsAreRefused() throws {
        let v = (n: hex(RSAOAEPVectors.n), e: hex(RSAOAEPVectors.e), d: hex(RSAOAEPVectors.d),
                 p: hex(RSAOAEPVectors.p), q: hex(RSAOAEPVectors.q))
        let made = try SSHRSAIdentity(n: v.n, e: v.e, d: v.d, p: v.p, q: v.q, comment: nil)
        XCTAssertEqual(made.publicKey.wireBytes, try identity().publicKey.wireBytes)

        func bumped(_ bytes: [UInt8]) -> [UInt8] { var b = bytes; b[b.count - 1] ^= 0x02; return b }
        let refused = SSHKeyError.malformedKey("the ssh-rsa private key's components are inconsistent")
        for (what, d, p, q) in [("d", bumped(v.d), v.p, v.q), ("p", v.d, bumped(v.p), v.q), ("q", v.d, v.p, bumped(v.q)),
                                ("p = q", v.d, v.q, v.q)] {
            XCTAssertThrowsError(try SSHRSAIdentity(n: v.n, e: v.e, d: d, p: p, q: q, comment: nil), what) {
                XCTAssertEqual($0 as? SSHKeyError, refused, what)
            }
        }
    }

    /// PKCS#1 that is not strict DER, or not the two-prime structure, is refused by name.
    func testMalformedPKCS1IsRefused() throws {
        let der = try XCTUnwrap(Data(base64Encoded: RSAOAEPVectors.pkcs1PEM.split(separator: "\n").dropFirst().dropLast().joined()))
        func parse(_ bytes: [UInt8]) -> Error? {
            do { _ = try PKCS1PrivateKey.parse(bytes); return nil } catch { return error }
        }
        XCTAssertNil(parse(Array(der)))
        let notDER = SSHKeyError.malformedKey("PKCS#1 RSA private key: the DER structure is not an RSAPrivateKey (a SEQUENCE of nine non-negative INTEGERs)")
        XCTAssertEqual(parse(Array(der) + [0]) as? SSHKeyError, notDER, "trailing byte")
        XCTAssertEqual(parse(Array(der.dropLast())) as? SSHKeyError, notDER, "truncated")
        var version1 = Array(der); version1[6] = 1   // 30 82 xx xx 02 01 [version]
        XCTAssertEqual(parse(version1) as? SSHKeyError, .malformedKey("PKCS#1 RSA private key: multi-prime (version 1) RSA keys are not supported"))
    }
}
