import Crypto
import SwiftASN1
import X509
import XCTest
@testable import PIVSimulator

/// GET DATA / PUT DATA rules and ATTEST.
final class ObjectAndAttestationTests: XCTestCase {
    func testFreshCardHasNoCHUIDCCCOrCertificates() {
        let card = CardHarness()
        card.selectPIV()
        for id: [UInt8] in [[0x5F, 0xC1, 0x02], [0x5F, 0xC1, 0x07], [0x5F, 0xC1, 0x05], [0x5F, 0xC1, 0x0D], [0x5F, 0xC1, 0x20]] {
            XCTAssertEqual(card.command(0xCB, 0x3F, 0xFF, [0x5C, 0x03] + id).sw, 0x6A82, id.hexString)
        }
        XCTAssertEqual(card.command(0xCB, 0x3F, 0xFF, [0x5C, 0x01, 0x7E]).data, PIVApplet.discoveryObject)
    }

    func testPutNeedsManagementKeyAndDeleteWithEmptyValue() {
        let card = CardHarness()
        card.selectPIV()
        let chuid: [UInt8] = [0x5C, 0x03, 0x5F, 0xC1, 0x02, 0x53, 0x03, 0x30, 0x01, 0x00]
        XCTAssertEqual(card.command(0xDB, 0x3F, 0xFF, chuid).sw, 0x6982)
        card.authenticate()
        XCTAssertEqual(card.command(0xDB, 0x3F, 0xFF, chuid).sw, 0x9000)
        XCTAssertEqual(card.command(0xCB, 0x3F, 0xFF, [0x5C, 0x03, 0x5F, 0xC1, 0x02]).data, [0x53, 0x03, 0x30, 0x01, 0x00])
        XCTAssertEqual(card.command(0xDB, 0x3F, 0xFF, [0x5C, 0x03, 0x5F, 0xC1, 0x02, 0x53, 0x00]).sw, 0x9000)
        XCTAssertEqual(card.command(0xCB, 0x3F, 0xFF, [0x5C, 0x03, 0x5F, 0xC1, 0x02]).sw, 0x6A82)
    }

    func testPrintedObjectNeedsThePINBeforeRevealingAnything() {
        let card = CardHarness()
        card.selectPIV()
        XCTAssertEqual(card.command(0xCB, 0x3F, 0xFF, [0x5C, 0x03, 0x5F, 0xC1, 0x09]).sw, 0x6982, "absent, but not revealed")
        card.authenticate()
        let key = [UInt8](repeating: 0x5A, count: 24)
        let printed = [0x88, 0x1A, 0x89, 0x18] + key
        XCTAssertEqual(card.command(0xDB, 0x3F, 0xFF, [0x5C, 0x03, 0x5F, 0xC1, 0x09] + TLV(0x53, printed).encoded).sw, 0x9000)
        XCTAssertEqual(card.command(0xCB, 0x3F, 0xFF, [0x5C, 0x03, 0x5F, 0xC1, 0x09]).sw, 0x6982)
        card.verify("123456")
        XCTAssertEqual(card.command(0xCB, 0x3F, 0xFF, [0x5C, 0x03, 0x5F, 0xC1, 0x09]).data, TLV(0x53, printed).encoded)
    }

    func testObjectSizeLimitAndBadTagLists() {
        let card = CardHarness()
        card.selectPIV()
        card.authenticate()
        let big = [UInt8](repeating: 1, count: 3073)
        XCTAssertEqual(card.transfer(0xDB, 0x3F, 0xFF, [0x5C, 0x03, 0x5F, 0xC1, 0x0B] + TLV(0x53, big).encoded).sw, 0x6A84)
        let max = [UInt8](repeating: 1, count: 3072)
        XCTAssertEqual(card.transfer(0xDB, 0x3F, 0xFF, [0x5C, 0x03, 0x5F, 0xC1, 0x0B] + TLV(0x53, max).encoded).sw, 0x9000)
        XCTAssertEqual(card.transfer(0xCB, 0x3F, 0xFF, [0x5C, 0x03, 0x5F, 0xC1, 0x0B]).data, TLV(0x53, max).encoded)
        XCTAssertEqual(card.command(0xCB, 0x3F, 0xFF, [0x5C, 0x02, 0x5F, 0xC1]).sw, 0x6A80)
        XCTAssertEqual(card.command(0xCB, 0x3F, 0xFF, [0x5C, 0x03, 0x12, 0x34, 0x56]).sw, 0x6A80)
        XCTAssertEqual(card.command(0xCB, 0x3F, 0xFE, [0x5C, 0x01, 0x7E]).sw, 0x6A86)
        XCTAssertEqual(card.command(0xDB, 0x3F, 0xFF, [0x5C, 0x01, 0x7E, 0x53, 0x00]).sw, 0x6A80, "discovery is not writable")
    }

    func testAttestationCertificateCarriesSlotKeyAndPolicies() throws {
        let card = CardHarness(state: .factory(serial: 12_345_678))
        card.selectPIV()
        card.authenticate()
        let point = card.generate(slot: 0x9D, pin: PINPolicy.once, touch: TouchPolicy.always)
        let r = card.transfer(0xF9, 0x9D, 0x00, [])
        XCTAssertEqual(r.sw, 0x9000)
        XCTAssertEqual(r.data.first, 0x30, "libykpiv checks for a bare DER SEQUENCE")
        let cert = try Certificate(derEncoded: r.data)
        XCTAssertEqual(cert.publicKey, Certificate.PublicKey(try P256.Signing.PublicKey(x963Representation: point)))
        XCTAssertEqual(cert.subject.description, "CN=YubiKey PIV Attestation 9d")

        let policy = try XCTUnwrap(cert.extensions.first { $0.oid == [1, 3, 6, 1, 4, 1, 41482, 3, 8] })
        XCTAssertEqual(Array(policy.value), [0x04, 0x02, 0x02, 0x02], "OCTET STRING { once, always }")
        let firmware = try XCTUnwrap(cert.extensions.first { $0.oid == [1, 3, 6, 1, 4, 1, 41482, 3, 3] })
        XCTAssertEqual(Array(firmware.value), [0x04, 0x03, 0x05, 0x04, 0x03])
        let serial = try XCTUnwrap(cert.extensions.first { $0.oid == [1, 3, 6, 1, 4, 1, 41482, 3, 7] })
        XCTAssertEqual(Array(serial.value), [0x04, 0x06, 0x02, 0x04, 0x00, 0xBC, 0x61, 0x4E])

        // Signed by the F9 key, whose certificate is in 5FFF01.
        let container = try XCTUnwrap(card.applet.state.object(CardState.attestationObject))
        let root = try Certificate(derEncoded: try XCTUnwrap(BERTLV.parse(container).first(tag: 0x70)).value)
        XCTAssertEqual(cert.issuer, root.subject)
        XCTAssertTrue(root.publicKey.isValidSignature(cert.signature, for: cert))
    }

    func testAttestRefusesEmptyAndImportedSlots() {
        let card = CardHarness()
        card.selectPIV()
        card.authenticate()
        XCTAssertEqual(card.command(0xF9, 0x9A, 0x00).sw, 0x6A88)
        _ = card.importKey(slot: 0x9A, scalar: [UInt8](P256.KeyAgreement.PrivateKey().rawRepresentation))
        XCTAssertEqual(card.command(0xF9, 0x9A, 0x00).sw, 0x6A88)
    }
}
