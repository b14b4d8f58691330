import AgeFormat
import Foundation
import TestSupport
import XCTest
@testable import AgeYubiKey
@testable import PIV

/// CardConnection, how both card identities (piv-p256 and X25519) reach their card: a held
/// connection (the identity agent) keeps a `once` PIN across unwraps until it is released or the
/// card is re-plugged; without holding, every unwrap opens its own session and asks again.
final class CardConnectionTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipIf(SimulatedCard.cardTestsDisabled, "KEYRACK_NO_CARD_TESTS=1")
    }

    func testAHeldCardKeepsAOncePINUntilReleasedOrReplugged() throws {
        var card = try SimulatedCard.insert()
        defer { card.remove() }
        let setup = try YubiKeyRecipientSource.setup(serial: card.serial, slot: nil, pinPolicy: .once, touchPolicy: .never,
                                                     pin: YubiKeyCardTests.pin)
        func opens(_ identity: YubiKeyIdentity, _ what: String) throws {
            let fileKey = FileKey.random()
            XCTAssertEqual(try identity.unwrap(try setup.recipient.wrap(fileKey)), fileKey, what)
        }

        let pins = YubiKeyCardTests.PINCounter()
        let held = YubiKeyIdentity(stub: setup.stub, pinProvider: pins.provider, holdsCard: true)
        try opens(held, "first file")
        try opens(held, "second file")
        XCTAssertEqual(pins.calls, 1, "one held session, one PIN for two files")
        XCTAssertEqual(held.cardOperations, 2)

        held.releaseCard()
        held.releaseCard()  // idempotent
        try opens(held, "after the release")
        XCTAssertEqual(pins.calls, 2, "released: a new session, the PIN again")

        // Re-plugged under the held connection: it is dropped and reopened once, the PIN asked again.
        card.remove()
        card = try SimulatedCard.insert(stateFile: card.stateFile)
        try opens(held, "after the card was re-plugged")
        XCTAssertEqual(pins.calls, 3)
        XCTAssertEqual(held.cardOperations, 4)

        // (A held session keeps the card verified for every connection: release it first.)
        held.releaseCard()
        let each = YubiKeyCardTests.PINCounter()
        let unheld = YubiKeyIdentity(stub: setup.stub, pinProvider: each.provider)
        try opens(unheld, "first file, not held")
        try opens(unheld, "second file, not held")
        XCTAssertEqual(each.calls, 2, "not held: every unwrap its own session and PIN")
    }
}
