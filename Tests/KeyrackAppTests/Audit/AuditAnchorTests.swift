@testable import KeyrackApp
import PIV
import XCTest

/// `audit anchor`'s choice of signer: what was asked for, else the TPM for an owner with a TPM
/// identity and no slot given, else the YubiKey's slot 9a; a slot with the TPM, an unknown
/// signer and a bad slot are typed errors (the CLI names --via and --slot).
final class AuditAnchorTests: XCTestCase {
    func testTheSignerIsTheOneAskedForElseTheOwnersKind() throws {
        XCTAssertEqual(try AuditAnchor.signer(via: nil, slot: nil, ownerHasTPM: true), .tpm)
        XCTAssertEqual(try AuditAnchor.signer(via: nil, slot: nil, ownerHasTPM: false), .yubikey(slot: .authentication))
        XCTAssertEqual(try AuditAnchor.signer(via: nil, slot: "9c", ownerHasTPM: true), .yubikey(slot: PIVSlot(0x9C)), "a slot means the card")
        XCTAssertEqual(try AuditAnchor.signer(via: "yubikey", slot: nil, ownerHasTPM: true), .yubikey(slot: .authentication))
        XCTAssertEqual(try AuditAnchor.signer(via: "tpm", slot: nil, ownerHasTPM: false), .tpm)
        XCTAssertEqual(try AuditAnchor.signer(via: "yubikey", slot: "82", ownerHasTPM: false), .yubikey(slot: PIVSlot(0x82)))
    }

    func testAnUnknownSignerASlotForTheTPMAndABadSlotAreRefused() {
        XCTAssertThrowsError(try AuditAnchor.signer(via: "hsm", slot: nil, ownerHasTPM: false)) {
            XCTAssertEqual($0 as? AuditAnchorError, .unknownSigner("hsm"))
            XCTAssertEqual("\($0)", "'hsm' cannot sign the access log: use yubikey or tpm")
        }
        XCTAssertThrowsError(try AuditAnchor.signer(via: "tpm", slot: "9a", ownerHasTPM: true)) { XCTAssertEqual($0 as? AuditAnchorError, .slotForTPM) }
        XCTAssertThrowsError(try AuditAnchor.signer(via: nil, slot: "9b", ownerHasTPM: false)) {
            XCTAssertEqual($0 as? AuditAnchorError, .invalidSlot("9b"))
            XCTAssertEqual(($0 as? AuditAnchorError)?.fix, "use 9a, 9c, 9d, 9e or 82–95")
        }
    }
}
