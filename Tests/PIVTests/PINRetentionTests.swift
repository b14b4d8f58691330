import Foundation
import TestSupport
import XCTest
@testable import PIV

/// Issue 24: what a connection leaves on the card once a PIN was verified on it, through the
/// real pcscd and vpcd to the simulator (whose reset, like a YubiKey's, forgets the PIN).
final class PINRetentionTests: XCTestCase {
    static let pin = Array("123456".utf8)

    override func setUpWithError() throws {
        try XCTSkipIf(SimulatedCard.cardTestsDisabled, "KEYRACK_NO_CARD_TESTS=1")
    }

    override func tearDown() { PINRetentionPolicy.tell { .resetAfterUse } }

    /// `resetAfterUse` (pcscd open to every user): the next connection finds the PIN unverified,
    /// even while another program's idle shared connection keeps the card powered.
    func testResetAfterUseLeavesNoVerifiedPINEvenBesideAnIdleSharedConnection() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        PINRetentionPolicy.tell { .resetAfterUse }
        let idle = try PIVCards.open(serial: card.serial)
        defer { idle.close() }

        let user = try PIVCards.open(serial: card.serial)
        try user.verifyPIN(Self.pin)
        XCTAssertTrue(try user.isPINVerified(), "verified within the connection")
        user.close()

        let next = try PIVCards.open(serial: card.serial)
        defer { next.close() }
        XCTAssertFalse(try next.isPINVerified(), "the card was reset when the verifying connection closed")
        XCTAssertEqual(try next.pinTriesLeft(), 3, "and the reset cost no try")
    }

    /// `keepVerified` (pcscd restricts access): today's behaviour, the PIN stays verified for the
    /// next connection, which is what makes PIN policy `once` once per card session.
    func testKeepVerifiedLeavesThePINVerifiedForTheNextConnection() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        PINRetentionPolicy.tell { .keepVerified }
        let user = try PIVCards.open(serial: card.serial)
        try user.verifyPIN(Self.pin)
        user.close()
        let next = try PIVCards.open(serial: card.serial)
        defer { next.close() }
        XCTAssertTrue(try next.isPINVerified())
    }

    /// The simulator behind vpcd forgets a verified PIN on a PC/SC reset as a YubiKey does: a
    /// connection closed with SCARD_RESET_CARD (here: one that used the management key, which
    /// resets whatever the policy) leaves nothing verified for the next one.
    func testSimulatedCardForgetsTheVerifiedPINOnAPCSCReset() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        PINRetentionPolicy.tell { .keepVerified }
        let user = try PIVCards.open(serial: card.serial)
        try user.verifyPIN(Self.pin)
        user.resetOnClose = true
        user.close()
        let next = try PIVCards.open(serial: card.serial)
        defer { next.close() }
        XCTAssertFalse(try next.isPINVerified())
    }
}
