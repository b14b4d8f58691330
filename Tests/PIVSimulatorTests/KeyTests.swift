import Crypto
import XCTest
@testable import PIVSimulator

/// GENERATE, IMPORT, GENERAL AUTHENTICATE (ECDH, ECDSA), PIN and touch policies, metadata.
final class KeyTests: XCTestCase {
    /// A fixed scalar (any valid one): imported, then ECDH must agree with swift-crypto.
    let knownScalar = [UInt8](hex: "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721")!

    func testGenerateP256ReplyShapeAndMetadata() {
        let card = CardHarness()
        card.selectPIV()
        card.authenticate()
        let r = card.command(0x47, 0x00, 0x9D, [0xAC, 0x03, 0x80, 0x01, 0x11])
        XCTAssertEqual(r.sw, 0x9000)
        XCTAssertEqual(Array(r.data.prefix(6)), [0x7F, 0x49, 0x43, 0x86, 0x41, 0x04], "libykpiv parses this positionally")
        XCTAssertEqual(r.data.count, 5 + 65)
        let point = Array(r.data[5...])
        XCTAssertNoThrow(try P256.KeyAgreement.PublicKey(x963Representation: point))
        let meta = card.command(0xF7, 0x00, 0x9D)
        XCTAssertEqual(meta.data, [0x01, 0x01, 0x11, 0x02, 0x02, 0x02, 0x01, 0x03, 0x01, 0x01, 0x04, 0x43, 0x86, 0x41] + point)
    }

    func testGenerateP384() {
        let card = CardHarness()
        card.selectPIV()
        card.authenticate()
        let r = card.command(0x47, 0x00, 0x9A, [0xAC, 0x03, 0x80, 0x01, 0x14])
        XCTAssertEqual(Array(r.data.prefix(5)), [0x7F, 0x49, 0x63, 0x86, 0x61])
        XCTAssertNoThrow(try P384.KeyAgreement.PublicKey(x963Representation: Array(r.data[5...])))
    }

    func testGenerateRejectsBadSlotsAlgorithmsAndPolicies() {
        let card = CardHarness()
        card.selectPIV()
        card.authenticate()
        XCTAssertEqual(card.command(0x47, 0x00, 0x9B, [0xAC, 0x03, 0x80, 0x01, 0x11]).sw, 0x6B00)
        XCTAssertEqual(card.command(0x47, 0x00, 0x96, [0xAC, 0x03, 0x80, 0x01, 0x11]).sw, 0x6B00)
        XCTAssertEqual(card.command(0x47, 0x00, 0x9D, [0xAC, 0x03, 0x80, 0x01, 0x42]).sw, 0x6A80)
        XCTAssertEqual(card.command(0x47, 0x00, 0x9D, [0xAC, 0x06, 0x80, 0x01, 0x11, 0xAA, 0x01, 0x07]).sw, 0x6A80)
        XCTAssertEqual(card.command(0x47, 0x00, 0x9D, [0xAC, 0x00]).sw, 0x6A80)
    }

    func testPoliciesAfterTheTemplateAreAcceptedToo() {
        let card = CardHarness()
        card.selectPIV()
        card.authenticate()
        XCTAssertEqual(card.command(0x47, 0x00, 0x82, [0xAC, 0x03, 0x80, 0x01, 0x11, 0xAA, 0x01, 0x01, 0xAB, 0x01, 0x02]).sw, 0x9000)
        XCTAssertEqual(Array(card.command(0xF7, 0x00, 0x82).data[3..<7]), [0x02, 0x02, 0x01, 0x02])
    }

    func testImportKnownScalarThenECDHMatchesSwiftCrypto() throws {
        let card = CardHarness()
        card.selectPIV()
        card.authenticate()
        XCTAssertEqual(card.importKey(slot: 0x82, scalar: knownScalar, pin: PINPolicy.never, touch: TouchPolicy.never), 0x9000)
        let ours = try P256.KeyAgreement.PrivateKey(rawRepresentation: knownScalar)
        let meta = card.command(0xF7, 0x00, 0x82).data
        XCTAssertEqual(Array(meta.prefix(10)), [0x01, 0x01, 0x11, 0x02, 0x02, 0x01, 0x01, 0x03, 0x01, 0x02], "imported, never/never")
        XCTAssertEqual(Array(meta[14...]), [UInt8](ours.publicKey.x963Representation))

        let peer = P256.KeyAgreement.PrivateKey()
        let r = card.ecdh(slot: 0x82, peer: [UInt8](peer.publicKey.x963Representation))
        XCTAssertEqual(r.sw, 0x9000)
        let expected = try peer.sharedSecretFromKeyAgreement(with: ours.publicKey).withUnsafeBytes { [UInt8]($0) }
        XCTAssertEqual(r.data, expected)
        XCTAssertEqual(r.data.count, 32)
    }

    func testImportRejectsInvalidScalars() {
        let card = CardHarness()
        card.selectPIV()
        XCTAssertEqual(card.importKey(slot: 0x9D, scalar: knownScalar), 0x6982)
        card.authenticate()
        XCTAssertEqual(card.importKey(slot: 0x9D, scalar: [UInt8](repeating: 0, count: 32)), 0x6A80)
        XCTAssertEqual(card.importKey(slot: 0x9D, scalar: [UInt8](repeating: 0xFF, count: 32)), 0x6A80, "≥ group order")
        XCTAssertEqual(card.importKey(slot: 0x9D, scalar: Array(knownScalar.prefix(31))), 0x6A80)
    }

    func testECDHRejectsPointsNotOnTheCurve() {
        let card = CardHarness()
        card.selectPIV()
        card.authenticate()
        _ = card.importKey(slot: 0x82, scalar: knownScalar, pin: PINPolicy.never)
        var bad = [UInt8](P256.KeyAgreement.PrivateKey().publicKey.x963Representation)
        bad[64] ^= 1
        XCTAssertEqual(card.ecdh(slot: 0x82, peer: bad).sw, 0x6A80)
        XCTAssertEqual(card.ecdh(slot: 0x82, peer: Array(bad.prefix(33))).sw, 0x6A80)
        XCTAssertEqual(card.ecdh(slot: 0x83, peer: bad).sw, 0x6A88, "empty slot")
        XCTAssertEqual(card.ecdh(slot: 0x82, peer: bad, algorithm: PIVAlgorithm.eccP384).sw, 0x6A80, "algorithm mismatch")
    }

    func testPINPolicyOnce() {
        let card = CardHarness()
        card.selectPIV()
        card.authenticate()
        _ = card.generate(slot: 0x9D)  // default for 9D: once
        let peer = [UInt8](P256.KeyAgreement.PrivateKey().publicKey.x963Representation)
        XCTAssertEqual(card.ecdh(slot: 0x9D, peer: peer).sw, 0x6982)
        XCTAssertEqual(card.verify("123456"), 0x9000)
        XCTAssertEqual(card.ecdh(slot: 0x9D, peer: peer).sw, 0x9000)
        XCTAssertEqual(card.ecdh(slot: 0x9D, peer: peer).sw, 0x9000, "once: stays verified in the session")
        card.applet.reset(); card.selectPIV()
        XCTAssertEqual(card.ecdh(slot: 0x9D, peer: peer).sw, 0x6982, "a reset ends the session")
    }

    func testPINPolicyAlwaysNeedsVerifyRightBefore() {
        let card = CardHarness()
        card.selectPIV()
        card.authenticate()
        _ = card.generate(slot: 0x9C)  // default for 9C: always
        let digest = [UInt8](SHA256.hash(data: [1, 2, 3]))
        XCTAssertEqual(card.verify("123456"), 0x9000)
        XCTAssertEqual(card.sign(slot: 0x9C, digest: digest).sw, 0x9000)
        XCTAssertEqual(card.sign(slot: 0x9C, digest: digest).sw, 0x6982, "consumed by the first signature")
        XCTAssertEqual(card.verify("123456"), 0x9000)
        _ = card.send([0x00, 0xFD, 0x00, 0x00, 0x00])
        XCTAssertEqual(card.sign(slot: 0x9C, digest: digest).sw, 0x6982, "any APDU in between re-locks")
    }

    func testPINPolicyNever() {
        let card = CardHarness()
        card.selectPIV()
        card.authenticate()
        _ = card.generate(slot: 0x9E)  // default for 9E: never
        XCTAssertEqual(card.sign(slot: 0x9E, digest: [UInt8](repeating: 1, count: 32)).sw, 0x9000)
    }

    func testECDSASignatureVerifiesWithSwiftCrypto() throws {
        let card = CardHarness()
        card.selectPIV()
        card.authenticate()
        let point = card.generate(slot: 0x9A, pin: PINPolicy.never)
        let message: [UInt8] = Array("keyrack".utf8)
        let digest = SHA256.hash(data: message)
        let r = card.sign(slot: 0x9A, digest: [UInt8](digest))
        XCTAssertEqual(r.sw, 0x9000)
        let sig = try P256.Signing.ECDSASignature(derRepresentation: r.data)
        let pub = try P256.Signing.PublicKey(x963Representation: point)
        XCTAssertTrue(pub.isValidSignature(sig, for: digest))
        XCTAssertFalse(pub.isValidSignature(sig, for: SHA256.hash(data: [0])))
        XCTAssertEqual(card.sign(slot: 0x9A, digest: [UInt8](repeating: 1, count: 33)).sw, 0x6A80)
    }

    func testTouchAlwaysDenyAndCount() {
        let card = CardHarness()
        card.selectPIV()
        card.authenticate()
        _ = card.generate(slot: 0x85, pin: PINPolicy.never, touch: TouchPolicy.always)
        let peer = [UInt8](P256.KeyAgreement.PrivateKey().publicKey.x963Representation)
        card.touch = .deny
        XCTAssertEqual(card.ecdh(slot: 0x85, peer: peer).sw, 0x6982, "touch timeout")
        XCTAssertEqual(card.applet.state.touchCount, 0)
        card.touch = .auto
        XCTAssertEqual(card.ecdh(slot: 0x85, peer: peer).sw, 0x9000)
        XCTAssertEqual(card.ecdh(slot: 0x85, peer: peer).sw, 0x9000)
        XCTAssertEqual(card.applet.state.touchCount, 2, "always: one touch per operation")
    }

    func testTouchDelayWaitsThenApproves() {
        let card = CardHarness()
        var waited: [Int] = []
        card.applet.waitForTouch = { ms in waited.append(ms); return true }
        card.selectPIV()
        card.authenticate()
        _ = card.generate(slot: 0x85, pin: PINPolicy.never, touch: TouchPolicy.always)
        card.touch = .delay(milliseconds: 250)
        XCTAssertEqual(card.ecdh(slot: 0x85, peer: [UInt8](P256.KeyAgreement.PrivateKey().publicKey.x963Representation)).sw, 0x9000)
        XCTAssertEqual(waited, [250])
        card.applet.waitForTouch = { _ in false }  // card pulled out while waiting
        XCTAssertEqual(card.ecdh(slot: 0x85, peer: [UInt8](P256.KeyAgreement.PrivateKey().publicKey.x963Representation)).sw, 0x6982)
    }

    func testTouchCachedFor15Seconds() {
        let card = CardHarness()
        card.selectPIV()
        card.authenticate()
        _ = card.generate(slot: 0x86, pin: PINPolicy.never, touch: TouchPolicy.cached)
        let peer = [UInt8](P256.KeyAgreement.PrivateKey().publicKey.x963Representation)
        XCTAssertEqual(card.ecdh(slot: 0x86, peer: peer).sw, 0x9000)
        card.touch = .deny
        card.clock += 14
        XCTAssertEqual(card.ecdh(slot: 0x86, peer: peer).sw, 0x9000, "inside the cache window: no touch needed")
        card.clock += 2
        XCTAssertEqual(card.ecdh(slot: 0x86, peer: peer).sw, 0x6982)
        XCTAssertEqual(card.applet.state.touchCount, 1)
    }

    func testPINCheckedBeforeTouch() {
        let card = CardHarness()
        card.selectPIV()
        card.authenticate()
        _ = card.generate(slot: 0x87, pin: PINPolicy.once, touch: TouchPolicy.always)
        XCTAssertEqual(card.ecdh(slot: 0x87, peer: [UInt8](P256.KeyAgreement.PrivateKey().publicKey.x963Representation)).sw, 0x6982)
        XCTAssertEqual(card.applet.state.touchCount, 0, "no touch asked while the PIN is missing")
    }

    func testMetadataOfEmptyAndInvalidSlots() {
        let card = CardHarness()
        card.selectPIV()
        XCTAssertEqual(card.command(0xF7, 0x00, 0x9D).sw, 0x6A88)
        XCTAssertEqual(card.command(0xF7, 0x00, 0x42).sw, 0x6B00)
        XCTAssertEqual(card.command(0xF7, 0x00, 0xF9).sw, 0x9000, "attestation key exists from the factory")
    }
}
