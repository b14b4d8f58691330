import Foundation
import KeyrackApp
import KeyrackClient
import PIV
import TestSupport
import XCTest

/// The card steps of `yubikey setup` and `yubikey change-management-key` in-process, on the
/// simulated card (scripts/with-simulated-yubikey): what each makes, and its `--json` answer.
final class CardSetupTests: XCTestCase {
    private var card: SimulatedCard!
    private var dir: TempDirectory!

    override func setUpWithError() throws {
        try XCTSkipIf(SimulatedCard.cardTestsDisabled, "KEYRACK_NO_CARD_TESTS=1")
        card = try SimulatedCard.insert()
        dir = try TempDirectory("keyrack-card-setup")
    }

    override func tearDown() {
        card?.remove()
        dir?.remove()
    }

    private let pin = Array("123456".utf8)

    func testAnAgeIdentityIsMadeInTheFirstFreeRetiredSlotAndAnsweredAsJSON() throws {
        let made = try CardIdentitySetup.run(serial: card.serial, slot: nil, pinPolicy: .never, touchPolicy: .never, recipientType: .tag,
                                             pin: pin, name: "ci robot", output: nil)
        XCTAssertTrue(made.recipient.hasPrefix("age1tag1"), made.recipient)
        XCTAssertTrue(made.identityFile.contains(made.recipient), made.identityFile)
        XCTAssertEqual(made.notes, [.factoryPIN, .factoryPUK, .replacedFactoryManagementKey], "a fresh card: its PIN and PUK are pointed out, its management key replaced")
        let answer = CardIdentitySetupJSON(made, recipientType: .tag, identityFile: nil)
        XCTAssertEqual([answer.slot, answer.recipientType, answer.pinPolicy, answer.touchPolicy, answer.name], ["82", "tag", "never", "never", "ci robot"])
        XCTAssertEqual(answer.serial, card.serial)
        XCTAssertTrue(answer.identity.hasPrefix("AGE-PLUGIN-YUBIKEY-1"), answer.identity)
        XCTAssertTrue(JSONLine.encode(answer).hasPrefix(#"{"serial":\#(card.serial),"slot":"82","recipient":"\#(made.recipient)","recipientType":"tag","#), JSONLine.encode(answer))
        XCTAssertTrue(JSONLine.encode(answer).hasSuffix(#","name":"ci robot","identityFile":null}"#), JSONLine.encode(answer))
    }

    func testALoginKeyWritesItsCertificateToTheOutputFile() throws {
        let output = dir.file("login.pem").path
        let made = try LoginKeySetup.run(serial: card.serial, pinPolicy: .never, touchPolicy: .never, pin: pin, name: nil, output: output)
        XCTAssertEqual(made.slot, .authentication)
        XCTAssertEqual(made.name, "keyrack login \(card.serial)")
        XCTAssertEqual(try String(contentsOfFile: output, encoding: .utf8), made.certificatePEM)
        XCTAssertTrue(made.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----\n"), made.certificatePEM)
        XCTAssertTrue(made.publicKeyPEM.hasPrefix("-----BEGIN PUBLIC KEY-----"), made.publicKeyPEM)
        let answer = LoginKeySetupJSON(made, pinPolicy: .never, touchPolicy: .never, certificateFile: output)
        XCTAssertEqual([answer.slot, answer.pinPolicy, answer.touchPolicy, answer.certificateFile], ["9a", "never", "never", output])
        XCTAssertThrowsError(try LoginKeySetup.run(serial: card.serial, pinPolicy: .never, touchPolicy: .never, pin: pin, name: nil, output: output),
                             "an output file is never overwritten")
    }

    /// The PIN is asked for the card opened (its serial), verified, and the key rotated to the
    /// kind asked for; a wrong PIN stops it with the card's tries left.
    func testTheManagementKeyIsRotatedAfterThePIN() throws {
        var asked: [UInt32] = []
        let made = try ManagementKeyRotation.run(serial: card.serial, algorithm: .aes256) { asked.append($0); return self.pin }
        XCTAssertEqual(asked, [card.serial])
        XCTAssertEqual(made.serial, card.serial)
        XCTAssertEqual(made.algorithm, "AES-256")
        XCTAssertEqual(try ManagementKeyRotation.run(serial: card.serial, algorithm: nil) { _ in self.pin }.algorithm, "AES-256", "the card's current kind")
        XCTAssertThrowsError(try ManagementKeyRotation.run(serial: card.serial, algorithm: nil) { _ in Array("999999".utf8) }) {
            guard case .wrongPIN? = $0 as? PIVError else { return XCTFail("\($0)") }
        }
    }

    /// `yubikey setup`'s request: an unusable slot or an existing output file is refused before
    /// the PIN is asked; 9a makes a login key, any other slot an age identity.
    func testTheRequestIsCheckedBeforeThePINAndGoesToTheRightSlot() throws {
        let existing = try dir.write("exists.txt", [])
        func request(_ slot: String?, output: String? = nil) -> CardKeySetup {
            CardKeySetup(serial: card.serial, slot: slot.flatMap(PIVSlot.init(parsing:)), pinPolicy: .never, touchPolicy: .never, recipientType: .pivP256,
                         name: nil, output: output)
        }
        for (r, problem) in [(request("9c"), CardKeySetup.Problem.slotNotUsable(PIVSlot(parsing: "9c")!)), (request(nil, output: existing.path), .outputExists(existing.path))] {
            XCTAssertThrowsError(try r.run(pin: { XCTFail("no PIN is asked"); return [] })) { XCTAssertEqual($0 as? CardKeySetup.Problem, problem) }
        }
        guard case .loginKey(let login) = try request("9a").run(pin: { self.pin }) else { return XCTFail("9a is the login key's slot") }
        XCTAssertEqual(login.slot, .authentication)
        guard case .identity(let made) = try request("95").run(pin: { self.pin }) else { return XCTFail("an age identity") }
        XCTAssertEqual(made.setup.slot.description, "95")
    }
}
