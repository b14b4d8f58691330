import XCTest
@testable import PIV

/// Byte-level helpers of the PIV client, without a card.
final class PIVEncodingTests: XCTestCase {
    func testTLVRoundTripAllLengthForms() throws {
        for n in [0, 1, 0x7F, 0x80, 0xFF, 0x100, 3000] {
            let value = [UInt8](repeating: 0xAB, count: n)
            let encoded = TLV.encode(0x53, value)
            let parsed = try TLV.parse(encoded)
            XCTAssertEqual(parsed.count, 1)
            XCTAssertEqual(parsed[0].tag, 0x53)
            XCTAssertEqual(parsed[0].value, value)
        }
    }

    func testParsesGenerateReplyWithTwoByteTag() throws {
        let point = [0x04] + [UInt8](repeating: 7, count: 64)
        let reply: [UInt8] = [0x7F, 0x49, 0x43, 0x86, 0x41] + point
        let outer = try TLV.parse(reply)
        XCTAssertEqual(outer[0].tag, 0x7F49)
        XCTAssertEqual(try TLV.find(0x86, in: outer[0].value), point)
    }

    func testTruncatedTLVIsAnError() {
        XCTAssertThrowsError(try TLV.parse([0x53, 0x05, 1, 2]))
        XCTAssertThrowsError(try TLV.parse([0x53, 0x82, 0x01]))
    }

    func testStatusWordTriesLeft() {
        XCTAssertEqual(StatusWord(0x63C2).triesLeft, 2)
        XCTAssertEqual(StatusWord(0x63C0).triesLeft, 0)
        XCTAssertNil(StatusWord(0x9000).triesLeft)
        XCTAssertNil(StatusWord(0x6983).triesLeft)
    }

    func testPINPaddingAndRules() throws {
        XCTAssertEqual(PINPadding.pad(Array("123456".utf8)), [0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0xFF, 0xFF])
        XCTAssertThrowsError(try PINRules.check([], what: "PIN"))
        XCTAssertThrowsError(try PINRules.check(Array("123456789".utf8), what: "PIN"))
        XCTAssertThrowsError(try PINRules.check(Array("12345".utf8), what: "new PIN", minimum: 6))
        XCTAssertNoThrow(try PINRules.check(Array("12345678".utf8), what: "PIN", minimum: 6))
    }

    func testSlotParsingAndObjects() {
        XCTAssertEqual(PIVSlot(parsing: "82"), PIVSlot(0x82))
        XCTAssertEqual(PIVSlot(parsing: "0x95"), PIVSlot(0x95))
        XCTAssertEqual(PIVSlot(parsing: "1"), PIVSlot(0x82))
        XCTAssertEqual(PIVSlot(parsing: "20"), PIVSlot(0x95))
        XCTAssertNil(PIVSlot(parsing: "96"))
        XCTAssertNil(PIVSlot(parsing: "21"))
        XCTAssertEqual(PIVSlot(0x82).certificateObject, 0x5FC10D)
        XCTAssertEqual(PIVSlot(0x95).certificateObject, 0x5FC120)
        XCTAssertEqual(PIVSlot(0x9D).certificateObject, 0x5FC10B)
        XCTAssertEqual(PINPolicy(name: "once"), .once)
        XCTAssertEqual(TouchPolicy(name: "cached"), .cached)
        XCTAssertNil(TouchPolicy(name: "sometimes"))
    }

    func testAESBlockMatchesFIPS197() throws {
        // FIPS-197 C.2 (AES-192).
        let key = Array(0..<24).map { UInt8($0) }
        let plain: [UInt8] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]
        let cipher = try AESBlock.encrypt(plain, key: key)
        XCTAssertEqual(cipher, [0xdd, 0xa9, 0x7c, 0xa4, 0x86, 0x4c, 0xdf, 0xe0, 0x6e, 0xaf, 0x70, 0xa0, 0xec, 0x0d, 0x71, 0x91])
        XCTAssertEqual(try AESBlock.decrypt(cipher, key: key), plain)
    }

    func testErrorsAreOneLineAndSayWhatToDo() {
        let errors: [PIVError] = [.pcscdNotRunning, .noCard, .multipleCards(serials: [1, 2]), .cardBusy(reader: "r"),
                                  .cardRemoved(serial: 5), .wrongPIN(triesLeft: 2), .pinBlocked, .touchTimeout(serial: 5),
                                  .cardNotFound(serial: 9, available: [1])]
        for e in errors {
            XCTAssertFalse(e.description.contains("\n"))
            XCTAssertEqual(e.description, "\(e.problem): \(e.remedy ?? "none")", "problem, then remedy")
        }
        XCTAssertTrue(PIVError.wrongPIN(triesLeft: 2).description.contains("2 tries left"))
        XCTAssertTrue(PIVError.pinBlocked.description.contains("PUK"))
        XCTAssertTrue(PIVError.multipleCards(serials: [1, 2]).description.contains("serial"))
    }

    /// The library names no keyrack command or option: those are the CLI's words (YubiKeyCLITests
    /// checks that `--serial` is offered when several cards are plugged in).
    func testErrorsNameNoProgramsOwnCommandsOrOptions() {
        let errors: [PIVError] = [
            .pcscdNotRunning, .noCard, .cardNotFound(serial: 9, available: []), .multipleCards(serials: [1, 2]),
            .cardBusy(reader: "r"), .cardRemoved(serial: nil), .notPIV(reader: "r"), .pcsc(operation: "connect", code: 1),
            .wrongPIN(triesLeft: 1), .pinBlocked, .wrongPUK(triesLeft: 2), .pukBlocked, .pinRequired(serial: 5),
            .touchTimeout(serial: 5), .slotEmpty(serial: 5, slot: 0x82), .slotInUse(serial: 5, slot: 0x82), .noFreeSlot(serial: 5),
            .unsupportedKey(slot: 0x82, algorithm: 0x14), .managementKeyAuthenticationFailed(serial: 5),
            .cardError(operation: "sign", status: 0x6A80), .malformedResponse("x"), .library(operation: "x", code: -1),
        ]
        for e in errors {
            XCTAssertFalse(e.description.contains("keyrack"), e.description)
            for option in ["--serial", "--slot", "--pin-stdin", "--algorithm", "--for"] {
                XCTAssertFalse(e.description.contains(option), e.description)
            }
        }
    }
}
