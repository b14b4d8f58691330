import AgeFormat
import AgeYubiKey
import Crypto
import Foundation
import TestSupport
import XCTest
@testable import AgeTPM
@testable import TPM

/// The age side of a TPM owner: the identity line (age-plugin-tpm's encoding), and p256tag
/// stanzas — written by keyrack's own p256tag recipient, which age ≥ 1.3 and rage write the
/// same (Tests/AgeYubiKeyTests checks it against the spec and swift-crypto's HPKE) — unwrapped
/// with the ECDH on a real swtpm.
final class AgeTPMTests: XCTestCase {
    var tpm: SoftwareTPM!

    override func setUpWithError() throws { tpm = try SoftwareTPM() }
    override func tearDown() { tpm?.stop() }

    func testTheIdentityLineRoundTripsAndNamesItsTagRecipient() throws {
        let key = try TPMClient(tcti: tpm.tcti).createKey(pin: Array("pin".utf8))
        let stub = TPMStub(key: key)
        XCTAssertTrue(stub.string.hasPrefix("AGE-PLUGIN-TPM-1"))
        XCTAssertEqual(stub.bytes.prefix(2), [2, 1], "version 2 (with the SRK name), has a PIN")
        XCTAssertEqual(try TPMStub(string: stub.string), stub)
        XCTAssertTrue(stub.recipient.string.hasPrefix("age1tag1"))
        XCTAssertEqual(Array(try P256.KeyAgreement.PublicKey(compressedRepresentation: stub.recipient.compressedPoint).x963Representation), key.point)

        let file = TPMIdentityFile(stub: stub, tcti: tpm.tcti)
        let text = file.text(owner: "robot", created: Date())
        XCTAssertTrue(text.contains("# Recipient: \(stub.recipient.string)"), text)
        XCTAssertEqual(try TPMIdentityFile(text: text), file)
        // The last character changed (to another one: the checksum then fails whatever it was).
        let changed = String(stub.string.dropLast()) + (stub.string.hasSuffix("Q") ? "P" : "Q")
        XCTAssertThrowsError(try TPMStub(string: changed)) { XCTAssertTrue("\($0)".contains("Bech32"), "\($0)") }
        // A version-1 line (age-plugin-tpm before it recorded the SRK name) reads too.
        var v1 = key
        v1.parentName = []
        XCTAssertEqual(try TPMStub(string: TPMStub(key: v1).string).key.parentName, [])
    }

    func testAFileToTheTagRecipientOpensThroughTheTPMWithOneECDH() throws {
        let client = TPMClient(tcti: tpm.tcti)
        let stub = TPMStub(key: try client.createKey(pin: nil))
        let plain = Array("a secret for the robot".utf8)
        let decoy = try P256TagRecipient(point: Array(P256.KeyAgreement.PrivateKey().publicKey.compressedRepresentation))
        let sealed = try Age.encrypt(plain, to: [decoy, stub.recipient, decoy], armor: true)
        let identity = TPMIdentity(stub: stub, client: client)
        XCTAssertEqual(try Age.decrypt(sealed, with: [identity]), plain)
        XCTAssertEqual(identity.tpmOperations, 1, "the decoys' stanzas are skipped by tag; one ECDH_ZGen for ours")
        // A file for someone else is not ours, without touching the TPM.
        let foreign = try Age.encrypt(plain, to: [decoy], armor: false)
        XCTAssertThrowsError(try Age.decrypt(foreign, with: [identity]))
        XCTAssertEqual(identity.tpmOperations, 1)
    }

    func testThePINIsAskedOnceWithTheTriesLeftAndAWrongOneIsNotRetried() throws {
        let client = TPMClient(tcti: tpm.tcti)
        let stub = TPMStub(key: try client.createKey(pin: Array("4321".utf8)))
        let sealed = try Age.encrypt(Array("x".utf8), to: [stub.recipient], armor: false)
        var asked: [Int?] = []
        let wrong = TPMIdentity(stub: stub, client: client, pinProvider: { tries in asked.append(tries); return Array("1111".utf8) })
        let max = try client.lockoutStatus().maxTries
        XCTAssertThrowsError(try Age.decrypt(sealed, with: [wrong])) { XCTAssertEqual($0 as? TPMError, .wrongPIN(triesLeft: max - 1)) }
        XCTAssertEqual(asked, [max], "asked once, told the tries left")
        XCTAssertEqual(client.ecdhOperations, 1)
        let right = TPMIdentity(stub: stub, client: client, pinProvider: { tries in asked.append(tries); return Array("4321".utf8) })
        XCTAssertEqual(try Age.decrypt(sealed, with: [right]), Array("x".utf8))
        XCTAssertEqual(asked, [max, max - 1])
        let none = TPMIdentity(stub: stub, client: client)
        XCTAssertThrowsError(try Age.decrypt(sealed, with: [none])) { XCTAssertEqual($0 as? TPMError, .pinRequired) }
    }

    func testTheIdentityOfAnotherTPMCannotOpenTheFile() throws {
        let stub = TPMStub(key: try TPMClient(tcti: tpm.tcti).createKey(pin: nil))
        let sealed = try Age.encrypt(Array("x".utf8), to: [stub.recipient], armor: false)
        let other = try SoftwareTPM()
        defer { other.stop() }
        XCTAssertThrowsError(try Age.decrypt(sealed, with: [TPMIdentity(stub: stub, client: TPMClient(tcti: other.tcti))])) {
            XCTAssertEqual($0 as? TPMError, .otherTPM)
        }
    }
}
