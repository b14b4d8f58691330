@testable import KeyrackApp
import KeyrackPresentation
import Foundation
import PIV
import XCTest

/// The card commands' text: `yubikey setup --slot 9a`'s stdout and stderr, `yubikey list`'s
/// lines, the notes about factory secrets with the command that changes each.
final class CardTextTests: XCTestCase {
    private let login = LoginKeySetup.Result(serial: 123, slot: PIVSlot(parsing: "9a")!, name: "login", certificatePEM: "CERT\n", publicKeyPEM: "PUB\n",
                                             notes: [.factoryPIN])

    /// Without -o both PEMs go to stdout; with -o the certificate is in the file, the public key
    /// on stdout, and stderr says how OpenBao trusts the file.
    func testLoginKeyTextWithAndWithoutOutputFile() {
        XCTAssertEqual(login.text(writtenTo: nil), CardSetupText(stdout: "CERT\nPUB\n", stderr: []))
        XCTAssertEqual(login.text(writtenTo: "/tmp/c.pem"), CardSetupText(stdout: "PUB\n", stderr: [
            "wrote the certificate of slot 9a to /tmp/c.pem; trust it with `bao write auth/cert/certs/NAME certificate=@/tmp/c.pem token_policies=…`",
        ]))
    }

    func testFactorySecretNotesNameTheCommandThatChangesThem() {
        XCTAssertEqual(CardSetupNote.factoryPIN.line, "warning: the PIN is the factory default 123456: change it with `keyrack yubikey change-pin`")
        XCTAssertTrue(CardSetupNote.factoryPUK.line.hasSuffix("`keyrack yubikey change-puk`"))
        XCTAssertTrue(CardSetupNote.factoryManagementKey.line.hasSuffix("`keyrack yubikey change-management-key`"))
    }

    /// `yubikey list`: a card without used slots says how to make one; a slot lists what it has.
    func testCardListingLines() throws {
        let json = #"""
        [{"serial":7,"reader":"Yubico YubiKey","firmware":"5.7.1","slots":[]},
         {"serial":8,"reader":"R","firmware":"5.4.3","slots":[{"slot":"82","algorithm":"ECCP256","pinPolicy":"once","name":"age identity 1",
          "recipient":"age1yubikey1q","identity":"AGE-PLUGIN-YUBIKEY-1X","madeForAge":true}]}]
        """#
        let cards = try JSONDecoder().decode([CardListing].self, from: Data(json.utf8))
        XCTAssertEqual(cards[0].lines, ["YubiKey 7 (firmware 5.7.1, reader \"Yubico YubiKey\")",
                                        "  no used slots: make an age identity with `keyrack yubikey setup --serial 7`"])
        XCTAssertEqual(cards[1].lines, ["YubiKey 8 (firmware 5.4.3, reader \"R\")",
                                        "  slot 82  ECCP256  PIN once  \"age identity 1\"",
                                        "    recipient: age1yubikey1q",
                                        "    identity:  AGE-PLUGIN-YUBIKEY-1X"])
    }
}
