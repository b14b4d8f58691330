import XCTest
@testable import PIVSimulator

/// VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER, SET PIN RETRIES, RESET.
final class PINTests: XCTestCase {
    func testEmptyVerifyReportsStateWithoutSpendingATry() {
        let card = CardHarness()
        card.selectPIV()
        XCTAssertEqual(card.send([0x00, 0x20, 0x00, 0x80, 0x00]).sw, 0x63C3)
        XCTAssertEqual(card.send([0x00, 0x20, 0x00, 0x80]).sw, 0x63C3, "OpenSC's case-1 form")
        XCTAssertEqual(card.verify("123456"), 0x9000)
        XCTAssertEqual(card.send([0x00, 0x20, 0x00, 0x80, 0x00]).sw, 0x9000)
        XCTAssertEqual(card.applet.state.pin.remaining, 3)
    }

    func testWrongPINCountsDownThenBlocks() {
        let card = CardHarness()
        card.selectPIV()
        XCTAssertEqual(card.verify("000000"), 0x63C2)
        XCTAssertEqual(card.verify("000000"), 0x63C1)
        XCTAssertEqual(card.verify("000000"), 0x63C0)
        XCTAssertEqual(card.verify("123456"), 0x6983, "blocked: the right PIN no longer works")
        XCTAssertEqual(card.send([0x00, 0x20, 0x00, 0x80, 0x00]).sw, 0x6983)
    }

    func testCorrectPINRestoresTheCounter() {
        let card = CardHarness()
        card.selectPIV()
        XCTAssertEqual(card.verify("000000"), 0x63C2)
        XCTAssertEqual(card.verify("123456"), 0x9000)
        XCTAssertEqual(card.applet.state.pin.remaining, 3)
    }

    func testWrongPINClearsAnEarlierVerification() {
        let card = CardHarness()
        card.selectPIV()
        XCTAssertEqual(card.verify("123456"), 0x9000)
        XCTAssertEqual(card.verify("654321"), 0x63C2)
        XCTAssertEqual(card.send([0x00, 0x20, 0x00, 0x80, 0x00]).sw, 0x63C2)
    }

    func testVerifyRejectsBadShapes() {
        let card = CardHarness()
        card.selectPIV()
        XCTAssertEqual(card.command(0x20, 0x00, 0x80, [0x31, 0x32, 0x33]).sw, 0x6A80)
        XCTAssertEqual(card.command(0x20, 0x00, 0x81, SecretReference.pad("123456")).sw, 0x6A88)
        XCTAssertEqual(card.applet.state.pin.remaining, 3)
    }

    func testVerifyResetFormClearsVerification() {
        let card = CardHarness()
        card.selectPIV()
        XCTAssertEqual(card.verify("123456"), 0x9000)
        XCTAssertEqual(card.send([0x00, 0x20, 0xFF, 0x80, 0x00]).sw, 0x9000)
        XCTAssertEqual(card.send([0x00, 0x20, 0x00, 0x80, 0x00]).sw, 0x63C3)
    }

    func testChangePIN() {
        let card = CardHarness()
        card.selectPIV()
        XCTAssertEqual(card.command(0x24, 0x00, 0x80, SecretReference.pad("000000") + SecretReference.pad("654321")).sw, 0x63C2)
        // Too short a new PIN is refused after the old one was checked (a wrong old one counts
        // down whatever the new one is: ykman's reset relies on it); nothing changes.
        XCTAssertEqual(card.command(0x24, 0x00, 0x80, SecretReference.pad("000000") + SecretReference.pad("12345")).sw, 0x63C1)
        XCTAssertEqual(card.command(0x24, 0x00, 0x80, SecretReference.pad("123456") + SecretReference.pad("12345")).sw, 0x6A80)
        XCTAssertEqual(card.applet.state.pin.bytes, CardState.defaultPIN)
        XCTAssertEqual(card.command(0x24, 0x00, 0x80, SecretReference.pad("123456") + SecretReference.pad("654321")).sw, 0x9000)
        XCTAssertEqual(card.applet.state.pin.remaining, 3)
        XCTAssertEqual(card.verify("123456"), 0x63C2)
        XCTAssertEqual(card.verify("654321"), 0x9000)
    }

    func testChangePUKAndUnblockPIN() {
        let card = CardHarness()
        card.selectPIV()
        XCTAssertEqual(card.command(0x24, 0x00, 0x81, SecretReference.pad("12345678") + SecretReference.pad("87654321")).sw, 0x9000)
        for _ in 0..<3 { card.verify("000000") }
        XCTAssertEqual(card.verify("123456"), 0x6983)
        // Wrong PUK counts down the PUK, not the PIN.
        XCTAssertEqual(card.command(0x2C, 0x00, 0x80, SecretReference.pad("12345678") + SecretReference.pad("111111")).sw, 0x63C2)
        XCTAssertEqual(card.command(0x2C, 0x00, 0x80, SecretReference.pad("87654321") + SecretReference.pad("111111")).sw, 0x9000)
        XCTAssertEqual(card.applet.state.pin.remaining, 3)
        XCTAssertEqual(card.applet.state.puk.remaining, 3)
        XCTAssertEqual(card.verify("111111"), 0x9000)
    }

    func testBlockedPUKCannotUnblock() {
        let card = CardHarness()
        card.selectPIV()
        for _ in 0..<3 { card.command(0x2C, 0x00, 0x80, SecretReference.pad("00000000") + SecretReference.pad("111111")) }
        XCTAssertEqual(card.command(0x2C, 0x00, 0x80, SecretReference.pad("12345678") + SecretReference.pad("111111")).sw, 0x6983)
    }

    func testSetPINRetriesNeedsManagementKeyAndPIN() {
        let card = CardHarness()
        card.selectPIV()
        XCTAssertEqual(card.send([0x00, 0xFA, 0x05, 0x06, 0x00]).sw, 0x6982)
        card.authenticate()
        XCTAssertEqual(card.send([0x00, 0xFA, 0x05, 0x06, 0x00]).sw, 0x6982, "PIN still missing")
        card.verify("123456")
        XCTAssertEqual(card.send([0x00, 0xFA, 0x05, 0x06, 0x00]).sw, 0x9000)
        XCTAssertEqual(card.applet.state.pin.maxRetries, 5)
        XCTAssertEqual(card.applet.state.puk.maxRetries, 6)
        XCTAssertEqual(card.send([0x00, 0x20, 0x00, 0x80, 0x00]).sw, 0x63C5)
    }

    func testResetOnlyWhenPINAndPUKAreBlocked() {
        let card = CardHarness()
        card.selectPIV()
        card.authenticate()
        _ = card.generate(slot: 0x9A)
        XCTAssertEqual(card.command(0xDB, 0x3F, 0xFF, [0x5C, 0x03, 0x5F, 0xC1, 0x02, 0x53, 0x01, 0x01]).sw, 0x9000)
        XCTAssertEqual(card.send([0x00, 0xFB, 0x00, 0x00, 0x00]).sw, 0x6985)
        for _ in 0..<3 { card.verify("000000") }
        XCTAssertEqual(card.send([0x00, 0xFB, 0x00, 0x00, 0x00]).sw, 0x6985, "PUK not blocked yet")
        for _ in 0..<3 { card.command(0x2C, 0x00, 0x80, SecretReference.pad("00000000") + SecretReference.pad("111111")) }
        XCTAssertEqual(card.send([0x00, 0xFB, 0x00, 0x00, 0x00]).sw, 0x9000)
        let s = card.applet.state
        XCTAssertNil(s.key(in: 0x9A))
        XCTAssertNil(s.object(0x5FC102))
        XCTAssertNotNil(s.key(in: 0xF9), "attestation key survives a reset")
        XCTAssertNotNil(s.object(CardState.attestationObject))
        XCTAssertEqual(card.verify("123456"), 0x9000)
        XCTAssertEqual(card.authenticate(), 0x9000, "default management key back")
    }

    func testMetadataOfPINPUKAndManagementKey() {
        let card = CardHarness()
        card.selectPIV()
        XCTAssertEqual(card.command(0xF7, 0x00, 0x80).data, [0x01, 0x01, 0xFF, 0x05, 0x01, 0x01, 0x06, 0x02, 0x03, 0x03])
        card.verify("000000")
        XCTAssertEqual(card.command(0xF7, 0x00, 0x80).data, [0x01, 0x01, 0xFF, 0x05, 0x01, 0x01, 0x06, 0x02, 0x03, 0x02])
        XCTAssertEqual(card.command(0xF7, 0x00, 0x81).data, [0x01, 0x01, 0xFF, 0x05, 0x01, 0x01, 0x06, 0x02, 0x03, 0x03])
        XCTAssertEqual(card.command(0xF7, 0x00, 0x9B).data, [0x01, 0x01, 0x03, 0x02, 0x02, 0x00, 0x01, 0x05, 0x01, 0x01])
    }
}
