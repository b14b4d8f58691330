import XCTest
@testable import PIVSimulator

/// APDU parsing, class byte, chaining, 61xx/GET RESPONSE and selection rules.
final class TransportTests: XCTestCase {
    func testSelectPIVReturnsYubiKeyPropertyTemplate() {
        let card = CardHarness()
        let r = card.command(0xA4, 0x04, 0x00, [0xA0, 0x00, 0x00, 0x03, 0x08])
        XCTAssertEqual(r.sw, 0x9000)
        XCTAssertEqual(r.data, [0x61, 0x11, 0x4F, 0x06, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00,
                                0x79, 0x07, 0x4F, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08])
        // OpenSC's longer AID selects PIV too.
        XCTAssertEqual(card.command(0xA4, 0x04, 0x00, [0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00]).sw, 0x9000)
    }

    func testCommandsBeforeSelectAndUnknownAIDs() {
        let card = CardHarness()
        XCTAssertEqual(card.send([0x00, 0xFD, 0x00, 0x00, 0x00]).sw, 0x6D00)
        XCTAssertEqual(card.command(0xA4, 0x04, 0x00, [0xD2, 0x76, 0x00, 0x01, 0x24, 0x01]).sw, 0x6A82)
        XCTAssertEqual(card.command(0xA4, 0x00, 0x00, [0x3F, 0x00]).sw, 0x6A86)
        card.selectPIV()
        // An unknown AID keeps the PIV selection.
        XCTAssertEqual(card.command(0xA4, 0x04, 0x00, [0xA0, 0x00, 0x00, 0x00, 0x01]).sw, 0x6A82)
        XCTAssertEqual(card.send([0x00, 0xFD, 0x00, 0x00, 0x00]).sw, 0x9000)
    }

    func testVersionAndSerialWithoutLe() {
        let card = CardHarness(state: .factory(serial: 12_345_678, version: [5, 7, 1]))
        card.selectPIV()
        XCTAssertEqual(card.send([0x00, 0xFD, 0x00, 0x00, 0x00]).data, [5, 7, 1])
        XCTAssertEqual(card.send([0x00, 0xF8, 0x00, 0x00]).data, [0x00, 0xBC, 0x61, 0x4E])  // case 1, no Le at all
    }

    func testClassAndLengthErrors() {
        let card = CardHarness()
        card.selectPIV()
        XCTAssertEqual(card.send([0x80, 0xFD, 0x00, 0x00, 0x00]).sw, 0x6E00)
        XCTAssertEqual(card.send([0x00, 0xFD, 0x00]).sw, 0x6700)
        XCTAssertEqual(card.send([0x00, 0x20, 0x00, 0x80, 0x08, 0x31]).sw, 0x6700)  // Lc says 8, 1 byte given
        XCTAssertEqual(card.send([0x00, 0x20, 0x00, 0x80, 0x00, 0x31]).sw, 0x6700)  // Lc 0 with data
        XCTAssertEqual(card.send([0x00, 0x12, 0x00, 0x00, 0x00]).sw, 0x6D00)
    }

    func testGetResponseWithNothingPending() {
        let card = CardHarness()
        card.selectPIV()
        XCTAssertEqual(card.send([0x00, 0xC0, 0x00, 0x00, 0x00]).sw, 0x6985)
    }

    func testChainedPutAndChunkedGetOfALargeObject() {
        let card = CardHarness()
        card.selectPIV()
        XCTAssertEqual(card.authenticate(), 0x9000)
        let cert = (0..<600).map { UInt8($0 % 251) }
        let contents = TLV(0x70, cert).encoded + [0x71, 0x01, 0x00, 0xFE, 0x00]
        let put = card.transfer(0xDB, 0x3F, 0xFF, [0x5C, 0x03, 0x5F, 0xC1, 0x0B] + TLV(0x53, contents).encoded)
        XCTAssertEqual(put.sw, 0x9000)

        // First reply: exactly 256 data bytes and 61 00 (more than 255 left), as the notes say.
        let first = card.command(0xCB, 0x3F, 0xFF, [0x5C, 0x03, 0x5F, 0xC1, 0x0B])
        XCTAssertEqual(first.data.count, 256)
        XCTAssertEqual(first.sw, 0x6100)
        let second = card.send([0x00, 0xC0, 0x00, 0x00, 0x00])
        XCTAssertEqual(second.data.count, 256)
        XCTAssertEqual(second.sw, 0x6100 | UInt16(613 - 512))
        let third = card.send([0x00, 0xC0, 0x00, 0x00, 0x00])
        XCTAssertEqual(third.sw, 0x9000)
        XCTAssertEqual(first.data + second.data + third.data, TLV(0x53, contents).encoded)
    }

    func testAnotherCommandDiscardsPendingResponse() {
        let card = CardHarness()
        card.selectPIV()
        card.authenticate()
        _ = card.transfer(0xDB, 0x3F, 0xFF, [0x5C, 0x03, 0x5F, 0xC1, 0x05] + TLV(0x53, [UInt8](repeating: 7, count: 400)).encoded)
        XCTAssertEqual(card.command(0xCB, 0x3F, 0xFF, [0x5C, 0x03, 0x5F, 0xC1, 0x05]).sw >> 8, 0x61)
        XCTAssertEqual(card.send([0x00, 0xFD, 0x00, 0x00, 0x00]).sw, 0x9000)
        XCTAssertEqual(card.send([0x00, 0xC0, 0x00, 0x00, 0x00]).sw, 0x6985)
    }

    func testChainInterruptedByAnotherInstructionIsDiscarded() {
        let card = CardHarness()
        card.selectPIV()
        card.authenticate()
        XCTAssertEqual(card.command(0xDB, 0x3F, 0xFF, [0x5C, 0x03, 0x5F, 0xC1], cla: 0x10).sw, 0x9000)
        XCTAssertEqual(card.send([0x00, 0xFD, 0x00, 0x00, 0x00]).sw, 0x9000)
        // The tail alone is not a valid PUT DATA.
        XCTAssertEqual(card.command(0xDB, 0x3F, 0xFF, [0x0B, 0x53, 0x01, 0x00]).sw, 0x6A80)
    }

    func testPowerOffAndResetForgetTheSession() {
        let card = CardHarness()
        card.selectPIV()
        XCTAssertEqual(card.verify("123456"), 0x9000)
        card.applet.reset()
        XCTAssertEqual(card.send([0x00, 0x20, 0x00, 0x80, 0x00]).sw, 0x6D00, "nothing selected after reset")
        card.selectPIV()
        XCTAssertEqual(card.send([0x00, 0x20, 0x00, 0x80, 0x00]).sw, 0x63C3)
        XCTAssertEqual(card.verify("123456"), 0x9000)
        card.applet.powerOff()
        card.applet.powerOn()
        card.selectPIV()
        XCTAssertEqual(card.send([0x00, 0x20, 0x00, 0x80, 0x00]).sw, 0x63C3)
    }

    func testSelectingAnotherAppletEndsTheSession() {
        let card = CardHarness()
        card.selectPIV()
        XCTAssertEqual(card.verify("123456"), 0x9000)
        // Re-selecting PIV keeps it …
        card.selectPIV()
        XCTAssertEqual(card.send([0x00, 0x20, 0x00, 0x80, 0x00]).sw, 0x9000)
        // … the management applet (ykpiv_get_pin_retries) drops it.
        XCTAssertEqual(card.command(0xA4, 0x04, 0x00, PIVApplet.managementAID).sw, 0x9000)
        card.selectPIV()
        XCTAssertEqual(card.send([0x00, 0x20, 0x00, 0x80, 0x00]).sw, 0x63C3)
    }

    func testOTPAppletSerialForOldClients() {
        let card = CardHarness()
        XCTAssertEqual(card.command(0xA4, 0x04, 0x00, PIVApplet.otpAID).sw, 0x9000)
        XCTAssertEqual(card.send([0x00, 0x01, 0x10, 0x00, 0x00]).data, [0x00, 0xBC, 0x61, 0x4E])
    }
}
