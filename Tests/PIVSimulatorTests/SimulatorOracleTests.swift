import Foundation
import TestSupport
import XCTest

/// Yubico's own yubico-piv-tool (libykpiv 2.2.0) against the simulated YubiKey, through the real
/// pcscd and vpcd: the simulator is faithful exactly when these pass as they would on a card.
/// Every test inserts a fresh card (TestSupport.SimulatedCard); run via scripts/test.
///
/// Not covered: `-a selfsign-certificate` / `-a request-certificate`. In yubico-piv-tool 2.2.0
/// linked with OpenSSL 3 (Debian 12) they fail before sending any APDU — the tool installs its
/// signing method on a cached copy of the key (Yubico/yubico-piv-tool#388) — so they fail against
/// a real YubiKey too. The same certificate is made with `openssl x509 -force_pubkey` instead, and
/// the card's ECDSA is proven by `-a test-signature`.
final class SimulatorOracleTests: XCTestCase {
    var dir: TempDirectory!

    override func setUpWithError() throws {
        try XCTSkipIf(SimulatedCard.cardTestsDisabled, "KEYRACK_NO_CARD_TESTS=1")
        dir = try TempDirectory("pivsim-oracle")
    }

    override func tearDown() {
        dir?.remove()
    }

    /// A test-time PIN (never a real one), 6–8 digits.
    func randomPIN(_ digits: Int = 6) -> String {
        String((0..<digits).map { _ in "0123456789".randomElement()! })
    }

    func generate9D(_ card: SimulatedCard, extra: [String] = []) throws -> String {
        let pub = dir.file("9d.pub").path
        let r = try card.pivTool(["-a", "generate", "-s", "9d", "-A", "ECCP256", "-o", pub] + extra)
        XCTAssertEqual(r.status, 0, r.description)
        XCTAssertTrue(r.err.contains("Successfully generated a new private key."), r.description)
        return pub
    }

    /// A certificate whose subject key is the card's (signed by a throwaway key).
    func certificate(for pub: String, subject: String = "/CN=sim/") throws -> String {
        let key = dir.file("throwaway.key").path, csr = dir.file("t.csr").path, pem = dir.file("9d.pem").path
        for args in [["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key],
                     ["req", "-new", "-key", key, "-subj", "/CN=throwaway", "-out", csr],
                     ["x509", "-req", "-in", csr, "-signkey", key, "-force_pubkey", pub, "-subj", subject,
                      "-days", "30", "-out", pem]] {
            let r = try Run.process("openssl", args)
            XCTAssertEqual(r.status, 0, "openssl \(args): \(r)")
        }
        return pem
    }

    func testStatusOfAFreshCard() throws {
        let card = try SimulatedCard.insert(serial: 12_345_678)
        defer { card.remove() }
        let r = try card.pivTool(["-a", "status"])
        XCTAssertEqual(r.status, 0, r.description)
        XCTAssertEqual(r.out, "Version:\t5.4.3\nSerial Number:\t12345678\nCHUID:\tNo data available\n"
                              + "CCC:\tNo data available\nPIN tries left:\t3\n")
    }

    func testVersionGivenAtInsert() throws {
        let card = try SimulatedCard.insert(version: "5.7.1")
        defer { card.remove() }
        let r = try card.pivTool(["-a", "version"])
        XCTAssertEqual(r.status, 0, r.description)
        XCTAssertEqual(r.out, "Application version 5.7.1 found.\n")
    }

    func testVerifyPIN() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        var r = try card.pivTool(["-a", "verify-pin", "-P", "123456"])
        XCTAssertEqual(r.status, 0, r.description)
        XCTAssertTrue(r.err.contains("Successfully verified PIN."), r.description)
        r = try card.pivTool(["-a", "verify-pin", "-P", "000000"])
        XCTAssertEqual(r.status, 1, r.description)
        XCTAssertTrue(r.err.contains("Pin verification failed, 2 tries left before pin is blocked."), r.description)
    }

    func testChangePIN() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let pin = randomPIN(8)
        var r = try card.pivTool(["-a", "change-pin", "-P", "123456", "-N", pin])
        XCTAssertEqual(r.status, 0, r.description)
        XCTAssertTrue(r.err.contains("Successfully changed the pin code."), r.description)
        r = try card.pivTool(["-a", "verify-pin", "-P", pin])
        XCTAssertEqual(r.status, 0, r.description)
        r = try card.pivTool(["-a", "verify-pin", "-P", "123456"])
        XCTAssertEqual(r.status, 1, r.description)
        XCTAssertTrue(r.err.contains("2 tries left"), r.description)
    }

    func testWrongPINThreeTimesBlocksThenUnblockPIN() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let wrong = "000000"
        for expected in ["2 tries left", "1 tries left", "Pin code blocked, use unblock-pin action to unblock."] {
            let r = try card.pivTool(["-a", "verify-pin", "-P", wrong])
            XCTAssertEqual(r.status, 1, r.description)
            XCTAssertTrue(r.err.contains(expected), "expected \(expected): \(r)")
        }
        var r = try card.pivTool(["-a", "verify-pin", "-P", "123456"])
        XCTAssertEqual(r.status, 1, r.description)
        XCTAssertTrue(r.err.contains("Pin code blocked"), r.description)

        r = try card.pivTool(["-a", "unblock-pin", "-P", "00000000", "-N", "111111"])
        XCTAssertEqual(r.status, 1, "wrong PUK: \(r)")
        let newPIN = randomPIN()
        r = try card.pivTool(["-a", "unblock-pin", "-P", "12345678", "-N", newPIN])
        XCTAssertEqual(r.status, 0, r.description)
        XCTAssertTrue(r.err.contains("Successfully unblocked the pin code."), r.description)
        r = try card.pivTool(["-a", "verify-pin", "-P", newPIN])
        XCTAssertEqual(r.status, 0, r.description)
        XCTAssertTrue(try card.pivTool(["-a", "status"]).out.contains("PIN tries left:\t3"))
    }

    func testGenerateP256InSlot9D() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let pub = try generate9D(card)
        let text = try Run.process("openssl", ["pkey", "-pubin", "-in", pub, "-noout", "-text"])
        XCTAssertEqual(text.status, 0, text.description)
        XCTAssertTrue(text.out.contains("prime256v1"), text.out)
        let slots = try XCTUnwrap(card.stateValue("slots") as? [String: Any])
        XCTAssertEqual((slots["9d"] as? [String: Any])?["algorithm"] as? Int, 0x11)

        // A wrong management key is refused before any key is touched.
        let r = try card.pivTool(["-a", "generate", "-s", "9a", "-A", "ECCP256", "-k" + String(repeating: "42", count: 24)])
        XCTAssertEqual(r.status, 1, r.description)
        XCTAssertTrue(r.err.contains("Failed authentication with the application."), r.description)
        XCTAssertNil((try card.stateValue("slots") as? [String: Any])?["9a"])
    }

    func testImportReadCertificateAndUseTheKey() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let pem = try certificate(for: try generate9D(card))
        var r = try card.pivTool(["-a", "import-certificate", "-s", "9d", "-i", pem])
        XCTAssertEqual(r.status, 0, r.description)
        XCTAssertTrue(r.err.contains("Successfully imported a new certificate."), r.description)

        r = try card.pivTool(["-a", "read-certificate", "-s", "9d"])
        XCTAssertEqual(r.status, 0, r.description)
        XCTAssertEqual(r.out, String(decoding: try Data(contentsOf: URL(fileURLWithPath: pem)), as: UTF8.self))

        r = try card.pivTool(["-a", "status"])
        XCTAssertTrue(r.out.contains("Slot 9d:\t\n\tAlgorithm:\tECCP256\n\tSubject DN:\tCN=sim\n"), r.out)

        r = try card.pivTool(["-a", "verify-pin", "-P", "123456", "-a", "test-decipher", "-s", "9d", "-i", pem])
        XCTAssertEqual(r.status, 0, r.description)
        XCTAssertTrue(r.err.contains("Successfully performed ECDH exchange with card."), r.description)
        r = try card.pivTool(["-a", "verify-pin", "-P", "123456", "-a", "test-signature", "-s", "9d", "-i", pem])
        XCTAssertEqual(r.status, 0, r.description)
        XCTAssertTrue(r.err.contains("Successful ECDSA verification."), r.description)
        // Slot 9d's default PIN policy is "once": without VERIFY the card refuses.
        r = try card.pivTool(["-a", "test-signature", "-s", "9d", "-i", pem])
        XCTAssertEqual(r.status, 1, r.description)
    }

    func testAttest() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let pub = try generate9D(card, extra: ["--pin-policy=once", "--touch-policy=never"])
        let r = try card.pivTool(["-a", "attest", "-s", "9d"])
        XCTAssertEqual(r.status, 0, r.description)
        XCTAssertTrue(r.out.hasPrefix("-----BEGIN CERTIFICATE-----"), r.out)
        let pem = try dir.write("attest.pem", Array(r.out.utf8))
        let text = try Run.process("openssl", ["x509", "-in", pem.path, "-noout", "-subject", "-pubkey"])
        XCTAssertEqual(text.status, 0, text.description)
        XCTAssertTrue(text.out.contains("subject=CN = YubiKey PIV Attestation 9d"), text.out)
        XCTAssertTrue(text.out.contains(String(decoding: try Data(contentsOf: URL(fileURLWithPath: pub)), as: UTF8.self)),
                      "attested key is the generated key: \(text.out)")
        let empty = try card.pivTool(["-a", "attest", "-s", "9a"])
        XCTAssertEqual(empty.status, 1, "empty slot: \(empty)")
    }

    func testTwoCardsWithDifferentSerials() throws {
        let a = try SimulatedCard.insert(serial: 11_111_111)
        defer { a.remove() }
        let b = try SimulatedCard.insert(serial: 22_222_222)
        defer { b.remove() }
        XCTAssertNotEqual(a.reader, b.reader)
        XCTAssertTrue(try a.pivTool(["-a", "status"]).out.contains("Serial Number:\t11111111"))
        XCTAssertTrue(try b.pivTool(["-a", "status"]).out.contains("Serial Number:\t22222222"))
    }

    func testRemovedCardIsGoneAndStateSurvivesReinsertion() throws {
        let card = try SimulatedCard.insert()
        let pin = randomPIN(7)
        XCTAssertEqual(try card.pivTool(["-a", "change-pin", "-P", "123456", "-N", pin]).status, 0)
        card.remove()
        let gone = try card.pivTool(["-a", "status"])
        XCTAssertEqual(gone.status, 1, gone.description)

        let again = try SimulatedCard.insert(stateFile: card.stateFile)
        defer { again.remove() }
        XCTAssertEqual(again.serial, card.serial)
        XCTAssertEqual(try again.pivTool(["-a", "verify-pin", "-P", pin]).status, 0)
    }

    func testTouchDenyIsATimeoutAndCanBeChangedWhileRunning() throws {
        let card = try SimulatedCard.insert(touch: "deny")
        defer { card.remove() }
        let pem = try certificate(for: try generate9D(card, extra: ["--pin-policy=never", "--touch-policy=always"]))
        var r = try card.pivTool(["-a", "test-decipher", "-s", "9d", "-i", pem])
        XCTAssertEqual(r.status, 1, "touch refused: \(r)")
        XCTAssertEqual(try card.touchCount(), 0)

        try card.setTouch("auto")
        r = try card.pivTool(["-a", "test-decipher", "-s", "9d", "-i", pem])
        XCTAssertEqual(r.status, 0, r.description)
        XCTAssertTrue(r.err.contains("Successfully performed ECDH exchange with card."), r.description)
        XCTAssertEqual(try card.touchCount(), 1)
    }
}
