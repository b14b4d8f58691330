import AgeFormat
import Crypto
import Foundation
import TestSupport
import XCTest
@testable import AgeYubiKey
@testable import PIV

/// The YubiKey backend end to end: libykpiv → libpcsclite → pcscd → vpcd → keyrack-piv-sim.
/// Run as `scripts/with-simulated-yubikey -- swift test --filter PIVTests`.
final class YubiKeyCardTests: XCTestCase {
    static let pin = Array("123456".utf8)

    /// Cards come from TestSupport.SimulatedCard, which throws (the test fails) outside the
    /// script; KEYRACK_NO_CARD_TESTS=1 (never on CI) skips instead.
    override func setUpWithError() throws {
        try XCTSkipIf(SimulatedCard.cardTestsDisabled, "KEYRACK_NO_CARD_TESTS=1")
    }

    /// Counts PIN requests and answers with `pin`.
    final class PINCounter: @unchecked Sendable {
        var calls = 0
        var pin: [UInt8]
        init(_ pin: [UInt8] = YubiKeyCardTests.pin) { self.pin = pin }
        var provider: PINProvider { { [self] _ in calls += 1; return pin } }
    }

    func testSetupWrapUnwrapForEveryPINAndTouchPolicy() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let cases: [(PINPolicy, TouchPolicy, expectedPINRequests: Int)] = [
            (.never, .never, 0), (.once, .always, 1), (.always, .cached, 1), (.once, .cached, 1), (.always, .never, 1),
        ]
        var usedSlots: [PIVSlot] = []
        for (pinPolicy, touchPolicy, expected) in cases {
            let setup = try YubiKeyRecipientSource.setup(serial: card.serial, slot: nil, pinPolicy: pinPolicy,
                                                         touchPolicy: touchPolicy, pin: Self.pin)
            XCTAssertEqual(setup.serial, card.serial)
            XCTAssertFalse(usedSlots.contains(setup.slot), "setup reused slot \(setup.slot)")
            XCTAssertEqual(setup.slot, PIVSlot(UInt8(0x82 + usedSlots.count)), "first free retired slot")
            usedSlots.append(setup.slot)

            // The recipient read back from the card is the one setup printed.
            XCTAssertEqual(try YubiKeyRecipientSource.recipient(serial: card.serial, slot: setup.slot), setup.recipient)
            XCTAssertEqual(try YubiKeyStub(string: setup.stub.string), setup.stub)

            // Wrap in software, unwrap on the card: exactly one ECDH, PIN asked only as the policy says.
            let fileKey = FileKey.random()
            let stanzas = try setup.recipient.wrap(fileKey)
            let counter = PINCounter()
            let identity = YubiKeyIdentity(stub: setup.stub, pinProvider: counter.provider)
            XCTAssertEqual(try identity.unwrap(stanzas), fileKey, "\(pinPolicy)/\(touchPolicy)")
            XCTAssertEqual(identity.cardOperations, 1)
            XCTAssertEqual(counter.calls, expected, "PIN requests for \(pinPolicy)/\(touchPolicy)")

            // The whole age file path, too.
            let plaintext = randomBytes(1000)
            let file = try Age.encrypt(plaintext, to: [setup.recipient], armor: true)
            let identity2 = YubiKeyIdentity(stub: setup.stub, pinProvider: PINCounter().provider)
            XCTAssertEqual(try Age.decrypt(file, with: [identity2]), plaintext)
            XCTAssertEqual(identity2.cardOperations, 1)
        }

        // The list shows every slot with its policies, its recipient and its stub.
        let listed = try XCTUnwrap(YubiKeyRecipientSource.listCards().first { $0.serial == card.serial })
        XCTAssertEqual(listed.version, FirmwareVersion(5, 4, 3))
        for (i, slot) in usedSlots.enumerated() {
            let s = try XCTUnwrap(listed.slots.first { $0.info.slot == slot })
            XCTAssertEqual(s.info.pinPolicy, cases[i].0)
            XCTAssertEqual(s.info.touchPolicy, cases[i].1)
            XCTAssertTrue(s.info.isAgeIdentity)
            XCTAssertNotNil(s.recipient)
            XCTAssertEqual(s.stub?.slot, slot)
        }
    }

    func testCertificateCarriesPoliciesAndIsReadByYubicoTool() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let setup = try YubiKeyRecipientSource.setup(serial: card.serial, slot: PIVSlot(0x85), pinPolicy: .once,
                                                     touchPolicy: .cached, pin: Self.pin, name: "test key")
        XCTAssertEqual(setup.slot, PIVSlot(0x85))
        let pivCard = try PIVCards.open(serial: card.serial)
        defer { pivCard.close() }
        let der = try XCTUnwrap(pivCard.certificate(slot: PIVSlot(0x85)))
        let cert = try SlotCertificate(der: der)
        XCTAssertEqual(cert.pinPolicy, .once)
        XCTAssertEqual(cert.touchPolicy, .cached)
        XCTAssertEqual(cert.commonName, "test key")
        XCTAssertTrue(cert.isAgePluginYubiKey)
        XCTAssertEqual(cert.publicKey.map { try? PIVP256Recipient(point: $0) }, setup.recipient)
        pivCard.close()
        // Yubico's tool reads the same certificate (and verifies its layout in the object).
        let out = try card.pivTool(["-a", "read-certificate", "-s", "85"])
        XCTAssertEqual(out.status, 0, out.description)
        XCTAssertTrue(out.out.contains("BEGIN CERTIFICATE"), out.description)
        // The self-signature was made by the card key: openssl-free check with swift-certificates.
        XCTAssertNoThrow(try SlotCertificate(der: der))
    }

    func testKnownVectorWithImportedScalar() throws {
        let card = try SimulatedCard.insert(serial: 12345678)
        defer { card.remove() }
        let scalar = try P256.KeyAgreement.PrivateKey(rawRepresentation: PIVP256KnownVector.scalarHex.hexBytes)
        let dir = try TempDirectory()
        defer { dir.remove() }
        let pem = try dir.write("key.pem", Array(scalar.pemRepresentation.utf8))
        let imported = try card.pivTool(["-a", "import-key", "-s", "82", "-i", pem.path, "--pin-policy=never", "--touch-policy=never"])
        XCTAssertEqual(imported.status, 0, imported.description)

        let stub = try YubiKeyStub(string: "AGE-PLUGIN-YUBIKEY-1FESMCQYZCH5FCMSS59SNS")
        XCTAssertEqual(try YubiKeyRecipientSource.recipient(serial: 12345678, slot: PIVSlot(0x82)).string,
                       PIVP256KnownVector.recipient)
        let identity = YubiKeyIdentity(stub: stub)
        let fileKey = try XCTUnwrap(identity.unwrap([Stanza(type: "piv-p256", arguments: PIVP256KnownVector.stanzaArguments,
                                                                      body: AgeBase64.decodeUnpadded(PIVP256KnownVector.stanzaBody)!)]))
        XCTAssertEqual(fileKey.bytes, Array(PIVP256KnownVector.fileKey.utf8))
        XCTAssertEqual(identity.cardOperations, 1)
    }

    func testWrongPINReportsTriesThenBlocksThenPUKUnblocks() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let setup = try YubiKeyRecipientSource.setup(serial: card.serial, slot: nil, pinPolicy: .always, touchPolicy: .never, pin: Self.pin)
        let stanzas = try setup.recipient.wrap(FileKey.random())
        let wrong = PINCounter(Array("000000".utf8))
        let identity = YubiKeyIdentity(stub: setup.stub, pinProvider: wrong.provider)
        XCTAssertThrowsError(try identity.unwrap(stanzas)) { XCTAssertEqual($0 as? PIVError, .wrongPIN(triesLeft: 2)) }
        XCTAssertEqual(wrong.calls, 1, "a wrong PIN is never retried automatically")
        XCTAssertThrowsError(try identity.unwrap(stanzas)) { XCTAssertEqual($0 as? PIVError, .wrongPIN(triesLeft: 1)) }
        XCTAssertThrowsError(try identity.unwrap(stanzas)) { XCTAssertEqual($0 as? PIVError, .pinBlocked) }
        XCTAssertEqual(identity.cardOperations, 0, "no ECDH without the PIN")
        // Blocked: the PIN is not even asked for.
        XCTAssertThrowsError(try identity.unwrap(stanzas)) { XCTAssertEqual($0 as? PIVError, .pinBlocked) }
        XCTAssertEqual(wrong.calls, 3)
        XCTAssertTrue(PIVError.pinBlocked.description.contains("PUK"))

        let pivCard = try PIVCards.open(serial: card.serial)
        XCTAssertThrowsError(try pivCard.unblockPIN(puk: Array("87654321".utf8), newPIN: Array("654321".utf8))) {
            XCTAssertEqual($0 as? PIVError, .wrongPUK(triesLeft: 2))
        }
        try pivCard.unblockPIN(puk: Array("12345678".utf8), newPIN: Array("654321".utf8))
        pivCard.close()
        let right = PINCounter(Array("654321".utf8))
        XCTAssertNotNil(try YubiKeyIdentity(stub: setup.stub, pinProvider: right.provider).unwrap(stanzas))
    }

    func testDeclinedPINIsPinRequired() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let setup = try YubiKeyRecipientSource.setup(serial: card.serial, slot: nil, pinPolicy: .once, touchPolicy: .never, pin: Self.pin)
        let identity = YubiKeyIdentity(stub: setup.stub, pinProvider: { _ in nil })
        XCTAssertThrowsError(try identity.unwrap(setup.recipient.wrap(FileKey.random()))) {
            XCTAssertEqual($0 as? PIVError, .pinRequired(serial: card.serial))
        }
    }

    func testTwoCardsRefuseToGuessAndPickBySerial() throws {
        let a = try SimulatedCard.insert()
        defer { a.remove() }
        let b = try SimulatedCard.insert()
        defer { b.remove() }
        XCTAssertThrowsError(try PIVCards.open(serial: nil)) { error in
            guard case PIVError.multipleCards(let serials)? = error as? PIVError else { return XCTFail("\(error)") }
            XCTAssertEqual(Set(serials), [a.serial, b.serial])
            XCTAssertTrue("\(error)".contains("choose one by its serial"), "\(error)")
        }
        XCTAssertThrowsError(try YubiKeyRecipientSource.setup(serial: nil, slot: nil, pinPolicy: .never, touchPolicy: .never, pin: Self.pin)) {
            guard case PIVError.multipleCards? = $0 as? PIVError else { return XCTFail("\($0)") }
        }
        let picked = try PIVCards.open(serial: b.serial)
        XCTAssertEqual(picked.serial, b.serial)
        picked.close()
        let setup = try YubiKeyRecipientSource.setup(serial: a.serial, slot: nil, pinPolicy: .never, touchPolicy: .never, pin: Self.pin)
        XCTAssertEqual(setup.serial, a.serial)
        // The key is on card a only.
        let onB = try PIVCards.open(serial: b.serial)
        XCTAssertNil(try onB.slotInfo(setup.slot))
        onB.close()
        XCTAssertThrowsError(try PIVCards.open(serial: 1)) {
            XCTAssertEqual($0 as? PIVError, .cardNotFound(serial: 1, available: [a.serial, b.serial]))
        }
    }

    func testTouchPromptAndTouchTimeout() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let setup = try YubiKeyRecipientSource.setup(serial: card.serial, slot: nil, pinPolicy: .never, touchPolicy: .always, pin: Self.pin)
        let fileKey = FileKey.random()
        let stanzas = try setup.recipient.wrap(fileKey)

        // A card that waits 2 s for its touch: the notifier fires once with the serial.
        try card.setTouch("2000")
        let notified = Notified()
        let identity = YubiKeyIdentity(stub: setup.stub, touchNotifier: { notified.add($0) })
        XCTAssertEqual(try identity.unwrap(stanzas), fileKey)
        XCTAssertEqual(notified.serials, [card.serial])

        // A touch that never comes.
        try card.setTouch("deny")
        XCTAssertThrowsError(try YubiKeyIdentity(stub: setup.stub).unwrap(stanzas)) {
            XCTAssertEqual($0 as? PIVError, .touchTimeout(serial: card.serial))
        }
    }

    func testCardRemovedMidOperation() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let setup = try YubiKeyRecipientSource.setup(serial: card.serial, slot: nil, pinPolicy: .never, touchPolicy: .always, pin: Self.pin)
        let stanzas = try setup.recipient.wrap(FileKey.random())
        try card.setTouch("30000")
        let waiting = DispatchSemaphore(value: 0)
        let identity = YubiKeyIdentity(stub: setup.stub, touchNotifier: { _ in waiting.signal() })
        var outcome: Result<FileKey?, Error>?
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            outcome = Result { try identity.unwrap(stanzas) }
            done.signal()
        }
        XCTAssertEqual(waiting.wait(timeout: .now() + 20), .success, "the card never started waiting for a touch")
        card.remove()
        XCTAssertEqual(done.wait(timeout: .now() + 20), .success, "unwrap did not return after the card was pulled")
        guard case .failure(let error)? = outcome else { return XCTFail("unwrap succeeded without a card: \(String(describing: outcome))") }
        XCTAssertEqual(error as? PIVError, .cardRemoved(serial: card.serial), "\(error)")
        XCTAssertThrowsError(try PIVCards.open(serial: card.serial)) {
            guard case PIVError.cardNotFound? = $0 as? PIVError else { return XCTFail("\($0)") }
        }
    }

    func testFactoryDefaultsDetectedAndChanged() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        var pivCard = try PIVCards.open(serial: card.serial)
        XCTAssertEqual(try pivCard.factoryDefaults(), FactoryDefaults(pin: true, puk: true, managementKey: true))
        try pivCard.changeReference(puk: false, old: Self.pin, new: Array("24681357".utf8))
        XCTAssertThrowsError(try pivCard.changeReference(puk: true, old: Array("00000000".utf8), new: Array("11112222".utf8))) {
            XCTAssertEqual($0 as? PIVError, .wrongPUK(triesLeft: 2))
        }
        try pivCard.changeReference(puk: true, old: Array("12345678".utf8), new: Array("11112222".utf8))
        try pivCard.verifyPIN(Array("24681357".utf8))
        XCTAssertEqual(try pivCard.rotateManagementKey(), PIVAlgorithm.tdes)
        pivCard.close()
        pivCard = try PIVCards.open(serial: card.serial)
        XCTAssertEqual(try pivCard.factoryDefaults(), FactoryDefaults(pin: false, puk: false, managementKey: false))
        // The old PIN no longer works and says how many tries are left.
        XCTAssertThrowsError(try pivCard.verifyPIN(Self.pin)) { XCTAssertEqual($0 as? PIVError, .wrongPIN(triesLeft: 2)) }
        try pivCard.verifyPIN(Array("24681357".utf8))
        XCTAssertTrue(try pivCard.isPINVerified())
        pivCard.close()
        // The default management key is gone: Yubico's tool can no longer write with it.
        let out = try card.pivTool(["-a", "generate", "-s", "9d", "-A", "ECCP256"])
        XCTAssertNotEqual(out.status, 0, out.description)
        // …but setup still works, through the PIN-protected key.
        let setup = try YubiKeyRecipientSource.setup(serial: card.serial, slot: nil, pinPolicy: .never, touchPolicy: .never,
                                                     pin: Array("24681357".utf8))
        XCTAssertEqual(setup.managementKey, .pinProtected)
    }

    func testAESManagementKeyCard() throws {
        let card = try SimulatedCard.insert(managementKeyType: "aes192")
        defer { card.remove() }
        var pivCard = try PIVCards.open(serial: card.serial)
        XCTAssertEqual(try pivCard.managementKeyInfo(), ManagementKeyInfo(algorithm: PIVAlgorithm.aes192, isDefault: true))
        // A wrong AES key is refused, the default one accepted.
        XCTAssertFalse(try pivCard.authenticate(with: ManagementKey(algorithm: PIVAlgorithm.aes192, bytes: [UInt8](repeating: 7, count: 24))))
        XCTAssertTrue(try pivCard.authenticate(with: .factoryDefault(algorithm: PIVAlgorithm.aes192)))
        pivCard.close()
        let setup = try YubiKeyRecipientSource.setup(serial: card.serial, slot: nil, pinPolicy: .never, touchPolicy: .never, pin: Self.pin)
        XCTAssertEqual(setup.managementKey, .replacedFactoryDefault)
        pivCard = try PIVCards.open(serial: card.serial)
        XCTAssertEqual(try pivCard.managementKeyInfo(), ManagementKeyInfo(algorithm: PIVAlgorithm.aes192, isDefault: false))
        pivCard.close()
        let second = try YubiKeyRecipientSource.setup(serial: card.serial, slot: nil, pinPolicy: .never, touchPolicy: .never, pin: Self.pin)
        XCTAssertEqual(second.managementKey, .pinProtected)
        XCTAssertEqual(second.slot, PIVSlot(0x83))
        let fileKey = FileKey.random()
        XCTAssertEqual(try YubiKeyIdentity(stub: second.stub).unwrap(second.recipient.wrap(fileKey)), fileKey)
    }

    func testSlotInUseAndNoCard() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        _ = try YubiKeyRecipientSource.setup(serial: card.serial, slot: PIVSlot(0x90), pinPolicy: .never, touchPolicy: .never, pin: Self.pin)
        XCTAssertThrowsError(try YubiKeyRecipientSource.setup(serial: card.serial, slot: PIVSlot(0x90), pinPolicy: .never,
                                                              touchPolicy: .never, pin: Self.pin)) {
            XCTAssertEqual($0 as? PIVError, .slotInUse(serial: card.serial, slot: 0x90))
        }
        XCTAssertThrowsError(try YubiKeyRecipientSource.recipient(serial: card.serial, slot: PIVSlot(0x91))) {
            XCTAssertEqual($0 as? PIVError, .slotEmpty(serial: card.serial, slot: 0x91))
        }
        card.remove()
        XCTAssertThrowsError(try PIVCards.open(serial: card.serial)) {
            guard case PIVError.cardNotFound? = $0 as? PIVError else { return XCTFail("\($0)") }
        }
    }
}

final class Notified: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [UInt32] = []
    func add(_ s: UInt32) { lock.lock(); list.append(s); lock.unlock() }
    var serials: [UInt32] { lock.lock(); defer { lock.unlock() }; return list }
}
