import XCTest
@testable import PIVSimulator

/// The Management and OTP applications as ykman reads them, and the extended APDUs it sends.
final class YubiKeyApplicationsTests: XCTestCase {
    func selectManagement(_ card: CardHarness) -> [UInt8] {
        let r = card.command(0xA4, 0x04, 0x00, [0xA0, 0x00, 0x00, 0x05, 0x27, 0x47, 0x11, 0x17])
        XCTAssertEqual(r.sw, 0x9000)
        return r.data
    }

    /// Byte for byte what a YubiKey 5 NFC with firmware 5.4.3 answers (a reading of a real key,
    /// serial aside): yubikit parses the length byte, then the TLVs.
    func testDeviceInfoOf543IsOnePageAsAReal5NFC() {
        let card = CardHarness(state: .factory(serial: 0x00F6_2CA8))
        XCTAssertEqual(selectManagement(card), Array("5.4.3".utf8))
        let r = card.send([0x00, 0x1D, 0x00, 0x00])
        XCTAssertEqual(r.sw, 0x9000)
        XCTAssertEqual(r.data.hexString, "2e0102033f0302033f020400f62ca804010105030504030602000007010f0801000d02033f0e02033f0a01000f0100")
    }

    func testDeviceInfoOf57HasTwoPagesWithFIPSAndPINComplexityTags() {
        let card = CardHarness(state: .factory(serial: 12_345_678, version: [5, 7, 1]))
        XCTAssertEqual(selectManagement(card), Array("5.7.1".utf8))
        let first = card.send([0x00, 0x1D, 0x00, 0x00])
        XCTAssertEqual(first.sw, 0x9000)
        XCTAssertEqual(Int(first.data[0]), first.data.count - 1, "length byte")
        XCTAssertTrue(first.data.hexString.hasSuffix("2003000000210300000010" + "0101"), first.data.hexString)
        let second = card.send([0x00, 0x1D, 0x01, 0x00])
        XCTAssertEqual(second.data.hexString, "1b" + "110400000000" + "120100" + "14020000" + "15020000" + "160100" + "170100" + "18020000")
        XCTAssertEqual(card.send([0x00, 0x1D, 0x02, 0x00]).data, [0x00], "past the last page: empty")
    }

    func testManagementAnswersNothingElseAndPIVNeedsReselect() {
        let card = CardHarness()
        _ = selectManagement(card)
        XCTAssertEqual(card.send([0x00, 0x1C, 0x00, 0x00, 0x01, 0x00]).sw, 0x6D00, "WRITE CONFIG is not simulated")
        XCTAssertEqual(card.send([0x00, 0xFD, 0x00, 0x00]).sw, 0x6D00, "PIV's GET VERSION is not Management's")
        card.selectPIV()
        XCTAssertEqual(card.send([0x00, 0xFD, 0x00, 0x00]).data, [5, 4, 3])
    }

    /// yubikit selects OTP with the 7-byte AID, libykpiv with a trailing 01; both get the status
    /// (version, programming sequence, touch level) and the serial.
    func testOTPStatusAndSerialWithEitherAID() {
        let card = CardHarness(state: .factory(serial: 12_345_678))
        for aid: [UInt8] in [[0xA0, 0x00, 0x00, 0x05, 0x27, 0x20, 0x01], [0xA0, 0x00, 0x00, 0x05, 0x27, 0x20, 0x01, 0x01]] {
            let status = card.command(0xA4, 0x04, 0x00, aid)
            XCTAssertEqual(status.sw, 0x9000)
            XCTAssertEqual(Array(status.data.prefix(6)), [5, 4, 3, 0x01, 0x05, 0x00])
            let serial = card.send([0x00, 0x01, 0x10, 0x00])
            XCTAssertEqual(serial.data, [0x00, 0xBC, 0x61, 0x4E])
            XCTAssertEqual(card.send([0x00, 0x03, 0x00, 0x00]).data, status.data)
        }
        XCTAssertEqual(card.command(0xA4, 0x04, 0x00, [0xA0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01]).sw, 0x6A82, "OATH is not simulated")
    }

    /// ykman switches to extended APDUs once it knows the firmware: 00 Lc Lc data, no Le.
    func testExtendedAPDUs() {
        let card = CardHarness()
        card.selectPIV()
        XCTAssertEqual(card.send([0x00, 0xF7, 0x00, 0x9B]).data, [0x01, 0x01, 0x03, 0x02, 0x02, 0x00, 0x01, 0x05, 0x01, 0x01])
        let step1 = card.send([0x00, 0x87, 0x03, 0x9B, 0x00, 0x00, 0x04, 0x7C, 0x02, 0x80, 0x00])
        XCTAssertEqual(step1.sw, 0x9000)
        XCTAssertEqual(Array(step1.data.prefix(4)), [0x7C, 0x0A, 0x80, 0x08])
        XCTAssertEqual(card.send([0x00, 0xFD, 0x00, 0x00, 0x00, 0x01, 0x00]).data, [5, 4, 3], "extended case 2")
        XCTAssertEqual(card.send([0x00, 0x20, 0x00, 0x80, 0x00, 0x00, 0x08, 0x31]).sw, 0x6700, "Lc 8, one byte")
        XCTAssertEqual(card.send([0x00, 0x20, 0x00, 0x80, 0x00, 0x00, 0x00, 0x31]).sw, 0x6700, "Lc 0 with data")
        // A certificate in one extended PUT DATA, read back through 61xx.
        card.authenticate()
        let cert = [UInt8](repeating: 0x5A, count: 1500)
        let body: [UInt8] = [0x5C, 0x03, 0x5F, 0xC1, 0x05, 0x53, 0x82, 0x05, 0xDC] + cert
        XCTAssertEqual(card.send([0x00, 0xDB, 0x3F, 0xFF, 0x00, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body).sw, 0x9000)
        XCTAssertEqual(card.transfer(0xCB, 0x3F, 0xFF, [0x5C, 0x03, 0x5F, 0xC1, 0x05]).data, [0x53, 0x82, 0x05, 0xDC] + cert)
        let huge = [UInt8](repeating: 0, count: 5000)
        XCTAssertEqual(card.send([0x00, 0xDB, 0x3F, 0xFF, 0x00, 0x13, 0x88] + huge).sw, 0x6700, "more than a card takes")
    }

    /// ykman reads metadata of 96 to tell a YubiKey Bio apart; a YubiKey 5 has no such reference.
    func testBioMetadataIsAbsent() {
        let card = CardHarness()
        card.selectPIV()
        XCTAssertEqual(card.send([0x00, 0xF7, 0x00, 0x96]).sw, 0x6A88)
    }

    /// `ykman piv reset` blocks the PUK with RESET RETRY COUNTER of two empty values (16 × FF):
    /// the PUK must be compared (and count down) before the new PIN is judged.
    func testWrongPUKCountsDownWhateverTheNewPIN() {
        let card = CardHarness()
        card.selectPIV()
        let empty = [UInt8](repeating: 0xFF, count: 16)
        XCTAssertEqual(card.command(0x2C, 0x00, 0x80, empty).sw, 0x63C2)
        XCTAssertEqual(card.command(0x24, 0x00, 0x81, empty).sw, 0x63C1)
        XCTAssertEqual(card.command(0x2C, 0x00, 0x80, empty).sw, 0x63C0)
        XCTAssertEqual(card.command(0x2C, 0x00, 0x80, empty).sw, 0x6983)
    }

    func testFactoryManagementKeyFollowsTheFirmware() {
        XCTAssertEqual(CardState.factory(serial: 1).managementKey.algorithm, PIVAlgorithm.tdes)
        XCTAssertEqual(CardState.factory(serial: 1, version: [5, 7, 1]).managementKey.algorithm, PIVAlgorithm.aes192)
        XCTAssertEqual(CardState.factory(serial: 1, version: [5, 7, 1], managementKeyAlgorithm: PIVAlgorithm.tdes)
            .managementKey.algorithm, PIVAlgorithm.tdes)
    }
}
