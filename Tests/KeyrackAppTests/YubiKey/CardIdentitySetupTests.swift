import AgeYubiKey
import KeyrackApp
import XCTest

/// `yubikey setup --recipient-type`: the slot's key shown in the form asked for, and the
/// identity file naming that form (the card work itself runs in CLITests on the simulated card).
final class CardIdentitySetupTests: XCTestCase {
    /// P-256's generator, compressed: a valid public point.
    private let point: [UInt8] = [0x02, 0x6B, 0x17, 0xD1, 0xF2, 0xE1, 0x2C, 0x42, 0x47, 0xF8, 0xBC, 0xE6, 0xE5, 0x63, 0xA4, 0x40, 0xF2,
                                  0x77, 0x03, 0x7D, 0x81, 0x2D, 0xEB, 0x33, 0xA0, 0xF4, 0xA1, 0x39, 0x45, 0xD8, 0x98, 0xC2, 0x96]

    func testTheTagFormReplacesTheDefaultRecipientInTheIdentityFile() throws {
        let piv = try YubiKeyRecipientType.pivP256.recipient(point: point).description
        let file = "#       Serial: 1, Slot: 1\n#    Recipient: \(piv)\nAGE-PLUGIN-YUBIKEY-1QQQ\n"
        let tag = try CardIdentitySetup.presented(file, recipient: piv, point: point, as: .tag)
        XCTAssertTrue(tag.recipient.hasPrefix("age1tag1"), tag.recipient)
        XCTAssertEqual(tag.identityFile, file.replacingOccurrences(of: piv, with: tag.recipient))
        XCTAssertFalse(tag.identityFile.contains(piv))
    }

    func testTheDefaultFormLeavesTheFileAsItIs() throws {
        let piv = try YubiKeyRecipientType.pivP256.recipient(point: point).description
        XCTAssertTrue(piv.hasPrefix("age1yubikey1"), piv)
        let file = "#    Recipient: \(piv)\nAGE-PLUGIN-YUBIKEY-1QQQ\n"
        let same = try CardIdentitySetup.presented(file, recipient: piv, point: point, as: .pivP256)
        XCTAssertEqual(same.recipient, piv)
        XCTAssertEqual(same.identityFile, file)
    }
}
