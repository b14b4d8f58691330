import AgeFormat
import Crypto
import Foundation
import XCTest
@testable import AgeYubiKey

/// The software half of `p256tag` (C2SP age.md, tagged recipient types): the spec's own
/// example values, and the hand-written receiver side of RFC 9180 (what a card-backed identity
/// runs after the card's ECDH) against swift-crypto's HPKE on both ends.
final class P256TagFormatTests: XCTestCase {
    static let specRecipient = "age1tag1qt8lw0ual6avlwmwatk888yqnmdamm7xfd0wak53ut6elz5c4swx2yqdj4e"
    static let specStanza = Stanza(type: "p256tag", arguments: [
        "CXBuUw", "BOqTylUtZFwkMTxd6UENg8kopiMhRJBOUXMv5w2xVOmJu7eezoALGXiNtq5Vka+UQvaYbQvAdwjIJEDaoBaq7So",
    ], body: AgeBase64.decodeUnpadded("bZQpLsV8uGqGPs70J6dVodiHejsZ5BODjaRsB0RcBqI")!)

    func testSpecExampleParsesAndItsTagIsTheSpecFormula() throws {
        let r = try P256TagRecipient(string: Self.specRecipient)
        XCTAssertEqual(r.string, Self.specRecipient)
        XCTAssertTrue(r.pivP256.string.hasPrefix("age1yubikey1"), "the same point in age-plugin-yubikey's form")
        XCTAssertEqual(try P256TagRecipient(string: Self.specRecipient).compressedPoint, try YubiKeyRecipientType.parse(Self.specRecipient).key.compressedPoint)
        let parsed = try P256Tag.Parsed(Self.specStanza)
        XCTAssertEqual(parsed.enc.count, 65)
        // The spec's prose says ikm = enc ‖ SHA-256(recipient)[:4] (what age, rage/pyrage 1.4 and
        // keyrack write); its example stanza was made by the earlier draft's ikm = enc ‖ pkRm.
        let uncompressed = Array(try P256.KeyAgreement.PublicKey(compressedRepresentation: r.compressedPoint).x963Representation)
        XCTAssertEqual(P256Tag.draftTag(enc: parsed.enc, recipientUncompressed: uncompressed), parsed.tag,
                       "HKDF-Extract(salt: label, ikm: enc ‖ pkRm)[:4] reproduces the spec example's CXBuUw")
        XCTAssertEqual(AgeBase64.encodeUnpadded(P256Tag.tag(enc: parsed.enc, recipient: r.compressedPoint)), "Dajdvw",
                       "the prose's formula gives another tag for the same enc (computed with Python hmac)")
        XCTAssertNotEqual(P256Tag.tag(enc: parsed.enc, recipient: try PIVP256Recipient(string: PIVP256FormatTests.recipientString).compressedPoint), parsed.tag,
                          "another recipient's tag differs: the identity skips the stanza without its card")
    }

    func testWrapHasTheSpecShapeAndOpensWithTheHandWrittenKeySchedule() throws {
        for _ in 0..<20 {
            let d = P256.KeyAgreement.PrivateKey()
            let r = try P256TagRecipient(point: Array(d.publicKey.compressedRepresentation))
            let fileKey = FileKey.random()
            let stanza = try XCTUnwrap(r.wrap(fileKey).first)
            XCTAssertEqual(stanza.type, "p256tag")
            XCTAssertEqual(stanza.arguments.map(\.count), [6, 87], "B64(4 bytes), B64(65 bytes)")
            XCTAssertEqual(stanza.body.count, 32)
            let parsed = try P256Tag.Parsed(stanza)
            XCTAssertEqual(parsed.tag, P256Tag.tag(enc: parsed.enc, recipient: r.compressedPoint))
            // What the card gives back: the x-coordinate of d·enc.
            let sharedX = try d.sharedSecretFromKeyAgreement(with: P256.KeyAgreement.PublicKey(x963Representation: parsed.enc)).withUnsafeBytes { Array($0) }
            XCTAssertEqual(try parsed.open(sharedX: sharedX, recipientUncompressed: Array(d.publicKey.x963Representation)), fileKey)
            XCTAssertNil(try parsed.open(sharedX: [UInt8](repeating: 1, count: 32), recipientUncompressed: Array(d.publicKey.x963Representation)), "a wrong ECDH fails the AEAD")
            // And swift-crypto's own receiver agrees with the stanza.
            var receiver = try HPKE.Recipient(privateKey: d, ciphersuite: P256Tag.ciphersuite, info: Data(P256Tag.info), encapsulatedKey: Data(parsed.enc))
            XCTAssertEqual(Array(try receiver.open(parsed.body, authenticating: Data())), fileKey.bytes)
        }
    }

    func testStructuralChecksOfTheSpec() throws {
        var s = Self.specStanza
        s.arguments.append("extra")
        XCTAssertThrowsError(try P256Tag.Parsed(s), "more than two arguments after the type")
        s = Self.specStanza; s.arguments[0] = "CXBuUw=="
        XCTAssertThrowsError(try P256Tag.Parsed(s), "non-canonical tag")
        s = Self.specStanza; s.arguments[1] = AgeBase64.encodeUnpadded(Array(try P256TagRecipient(string: Self.specRecipient).compressedPoint))
        XCTAssertThrowsError(try P256Tag.Parsed(s), "a compressed share is not HPKE's encoding")
        s = Self.specStanza; s.body.append(0)
        XCTAssertThrowsError(try P256Tag.Parsed(s), "body must be exactly 32 bytes")
        XCTAssertThrowsError(try P256TagRecipient(string: "age1yubikey1qgly5y3552f43dqes352js90xcnw4lr6wechv62ma7qazqdpe8jq2865kmf"))
        XCTAssertEqual(YubiKeyRecipientType(recipient: Self.specRecipient), .tag)
        XCTAssertEqual(YubiKeyRecipientType(recipient: PIVP256FormatTests.recipientString), .pivP256)
        XCTAssertNil(YubiKeyRecipientType(recipient: "age1qqq"))
    }
}
