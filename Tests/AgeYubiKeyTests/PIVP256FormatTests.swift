import AgeFormat
import Crypto
import TestSupport
import XCTest
@testable import AgeYubiKey
@testable import PIV

/// The software half of piv-p256 (no card): encodings and the known vector of
/// /work/shared/reference/age-piv.md §4.1–4.2, computed independently with Python `cryptography`.
final class PIVP256FormatTests: XCTestCase {
    static let scalarHex = PIVP256KnownVector.scalarHex
    static let recipientString = PIVP256KnownVector.recipient
    static let stanza = Stanza(type: "piv-p256", arguments: PIVP256KnownVector.stanzaArguments,
                               body: AgeBase64.decodeUnpadded(PIVP256KnownVector.stanzaBody)!)

    func testRecipientFromPluginTests() throws {
        let r = try PIVP256Recipient(string: "age1yubikey1q2w7u3vpya839jxxuq8g0sedh3d740d4xvn639sqhr95ejj8vu3hyfumptt")
        XCTAssertEqual(r.compressedPoint.hex, "029dee4581274f12c8c6e00e87c32dbc5beabdb53327a89600b8cb4cca47672372")
        XCTAssertEqual(r.tag.hex, "ef3c99e5")
        XCTAssertEqual(r.string, "age1yubikey1q2w7u3vpya839jxxuq8g0sedh3d740d4xvn639sqhr95ejj8vu3hyfumptt")
    }

    func testKnownVectorRecipientMatchesScalar() throws {
        let d = try P256.KeyAgreement.PrivateKey(rawRepresentation: Self.scalarHex.hexBytes)
        let r = try PIVP256Recipient(point: Array(d.publicKey.x963Representation))
        XCTAssertEqual(r.string, Self.recipientString)
        XCTAssertEqual(r.compressedPoint.hex, "023e4a1234a29358b4198468a940af3626eafc7a767176695bef81d101a1c9e405")
        XCTAssertEqual(r.tag.hex, "c5e89c6e")
        XCTAssertEqual(AgeBase64.encodeUnpadded(r.tag), "xeicbg")
    }

    func testKnownVectorUnwrapsInSoftware() throws {
        let d = try P256.KeyAgreement.PrivateKey(rawRepresentation: Self.scalarHex.hexBytes)
        let r = try PIVP256Recipient(string: Self.recipientString)
        let parsed = try PIVP256.Parsed(Self.stanza)
        XCTAssertEqual(parsed.ephemeralCompressed.hex, "03c320c692ca0d435a6acf3126aea7f24c25ebea749c3998d186fd2e7c3a0255ae")
        let shared = try d.sharedSecretFromKeyAgreement(with: parsed.ephemeral).withUnsafeBytes { Array($0) }
        XCTAssertEqual(shared.hex, "0feb85b4abad29b1c33cb5d9a11ca6191b5ad10e4767dfb0ec2696e1c37872a0")
        let key = PIVP256.wrapKey(sharedX: shared, ephemeral: parsed.ephemeralCompressed, recipient: r.compressedPoint)
        XCTAssertEqual(key.withUnsafeBytes { Array($0) }.hex, "2695e866814b58f8b2c2d2451b2d688fb4224342a861a7d7b6d372064d46d2f9")
        let fileKey = try XCTUnwrap(parsed.open(sharedX: shared, recipient: r.compressedPoint))
        XCTAssertEqual(fileKey.bytes, Array(PIVP256KnownVector.fileKey.utf8))
        // A wrong shared secret is "not this stanza", not a crash.
        XCTAssertNil(try parsed.open(sharedX: [UInt8](repeating: 1, count: 32), recipient: r.compressedPoint))
    }

    func testWrapHasExactShapeAndRoundTrips() throws {
        let d = P256.KeyAgreement.PrivateKey()
        let r = try PIVP256Recipient(point: Array(d.publicKey.compressedRepresentation))
        let fileKey = FileKey.random()
        let stanzas = try r.wrap(fileKey)
        XCTAssertEqual(stanzas.count, 1)
        let s = stanzas[0]
        XCTAssertEqual(s.type, "piv-p256")
        XCTAssertEqual(s.arguments.count, 2)
        XCTAssertEqual(s.arguments[0], AgeBase64.encodeUnpadded(r.tag))
        XCTAssertEqual(s.arguments[0].count, 6)
        XCTAssertEqual(s.arguments[1].count, 44)
        XCTAssertTrue(s.arguments[1].hasPrefix("A"), "a compressed point starts 02/03: \(s.arguments[1])")
        XCTAssertEqual(s.body.count, 32)
        XCTAssertEqual(AgeBase64.encodeUnpadded(s.body).count, 43, "the body line")
        XCTAssertEqual(try r.wrap(FileKey.random())[0].arguments[0], s.arguments[0], "the tag names the recipient: the same for every file")
        XCTAssertNotEqual(try r.wrap(FileKey.random())[0].arguments[1], s.arguments[1], "a fresh ephemeral share per file")
        let parsed = try PIVP256.Parsed(s)
        let shared = try d.sharedSecretFromKeyAgreement(with: parsed.ephemeral).withUnsafeBytes { Array($0) }
        XCTAssertEqual(try parsed.open(sharedX: shared, recipient: r.compressedPoint), fileKey)
    }

    func testStubKnownVectors() throws {
        let stub = try YubiKeyStub(serial: 12345678, slot: PIVSlot(0x82), tag: "ef3c99e5".hexBytes)
        XCTAssertEqual(stub.string, "AGE-PLUGIN-YUBIKEY-1FESMCQYZAU7FNEG5EJX29")
        let vector = try YubiKeyStub(serial: 12345678, slot: PIVSlot(0x82), recipient: PIVP256Recipient(string: Self.recipientString))
        XCTAssertEqual(vector.string, "AGE-PLUGIN-YUBIKEY-1FESMCQYZCH5FCMSS59SNS")
        let parsed = try YubiKeyStub(string: "AGE-PLUGIN-YUBIKEY-1FESMCQYZCH5FCMSS59SNS")
        XCTAssertEqual(parsed, vector)
        XCTAssertEqual(parsed.serial, 12345678)
        XCTAssertEqual(parsed.slot, PIVSlot(0x82))
        XCTAssertEqual(parsed.tag.hex, "c5e89c6e")
        // Lowercase is accepted (Bech32 allows one case throughout).
        XCTAssertEqual(try YubiKeyStub(string: "age-plugin-yubikey-1fesmcqyzch5fcmss59sns"), vector)
    }

    func testStubRoundTripsEverySlotAndSerialExtremes() throws {
        for slot in PIVSlot.retired {
            for serial: UInt32 in [0, 1, 12345678, .max] {
                let stub = try YubiKeyStub(serial: serial, slot: slot, tag: randomTag())
                XCTAssertEqual(try YubiKeyStub(string: stub.string), stub)
            }
        }
    }

    func testMalformedStubsAndRecipientsAreRejected() throws {
        // Standard slot 9A is not an age identity slot.
        let bad = Bech32.encode(hrp: "AGE-PLUGIN-YUBIKEY-", data: [1, 0, 0, 0, 0x9A, 1, 2, 3, 4])
        XCTAssertThrowsError(try YubiKeyStub(string: bad))
        XCTAssertThrowsError(try YubiKeyStub(string: Bech32.encode(hrp: "AGE-PLUGIN-YUBIKEY-", data: [1, 0, 0, 0, 0x82, 1, 2, 3])))
        XCTAssertThrowsError(try YubiKeyStub(string: "AGE-PLUGIN-YUBIKEY-1FESMCQYZCH5FCMSS59SNT"))  // checksum
        // An uncompressed point is not a valid age1yubikey1 payload.
        let d = P256.KeyAgreement.PrivateKey()
        XCTAssertThrowsError(try PIVP256Recipient(string: Bech32.encode(hrp: "age1yubikey", data: Array(d.publicKey.x963Representation))))
        XCTAssertThrowsError(try PIVP256Recipient(string: Bech32.encode(hrp: "age1yubikey", data: [0x02] + [UInt8](repeating: 0xFF, count: 32))))
        XCTAssertThrowsError(try PIVP256Recipient(string: Bech32.encode(hrp: "age", data: Array(d.publicKey.compressedRepresentation))))
    }

    func testMalformedStanzasFailTheFileAndForeignTagsAreIgnored() throws {
        let identity = YubiKeyIdentity(stub: try YubiKeyStub(serial: 1, slot: PIVSlot(0x82), tag: [0, 0, 0, 0]))
        // Not our tag: nil, and no card is touched (none exists in this test).
        XCTAssertNil(try identity.unwrap([Self.stanza]))
        XCTAssertEqual(identity.cardOperations, 0)
        var s = Self.stanza
        s.arguments = ["xeicbg"]
        XCTAssertThrowsError(try identity.unwrap([s]))
        s = Self.stanza
        s.arguments[1] = AgeBase64.encodeUnpadded([0x02] + [UInt8](repeating: 0xFF, count: 32))  // x ≥ p: not a point
        XCTAssertThrowsError(try identity.unwrap([s]))
        s = Self.stanza
        s.body.removeLast()
        XCTAssertThrowsError(try identity.unwrap([s]))
        s = Self.stanza
        s.arguments[0] = "xeicbgA"
        XCTAssertThrowsError(try identity.unwrap([s]))
        // Other stanza types are not ours.
        XCTAssertNil(try identity.unwrap([Stanza(type: "X25519", arguments: ["x"], body: [])]))
    }

    func testIdentityFileLooksLikeThePlugins() throws {
        let r = try PIVP256Recipient(string: Self.recipientString)
        let stub = try YubiKeyStub(serial: 12345678, slot: PIVSlot(0x83), recipient: r)
        let text = stub.identityFile(recipient: r, name: "laptop", created: Date(timeIntervalSince1970: 0), pinPolicy: .once, touchPolicy: .always)
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines, [
            "#       Serial: 12345678, Slot: 2",
            "#         Name: laptop",
            "#      Created: Thu, 01 Jan 1970 00:00:00 +0000",
            "#   PIN policy: Once",
            "# Touch policy: Always",
            "#    Recipient: \(Self.recipientString)",
            stub.string,
        ])
    }

    private func randomTag() -> [UInt8] { (0..<4).map { _ in UInt8.random(in: 0...255) } }
}

extension Array where Element == UInt8 {
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}
