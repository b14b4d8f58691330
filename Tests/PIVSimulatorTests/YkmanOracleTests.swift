import Foundation
import TestSupport
import XCTest

/// Yubico's ykman (yubikey-manager 5.9.2, from the project venv) drives the simulated YubiKey
/// through the real pcscd, as a user would drive a YubiKey 5 NFC: the simulator is faithful when
/// ykman prints what it prints for a card — the expected texts below are ykman's own output for a
/// YubiKey 5 NFC with factory settings, firmware 5.4.3 or 5.7.x. Every test inserts fresh cards.
///
/// Each ykman command and its output are echoed to the test log (PIN, PUK and key values masked).
final class YkmanOracleTests: XCTestCase {
    static let defaultKey = "010203040506070801020304050607080102030405060708"
    var dir: TempDirectory!

    override func setUpWithError() throws {
        try XCTSkipIf(SimulatedCard.cardTestsDisabled, "KEYRACK_NO_CARD_TESTS=1")
        dir = try TempDirectory("ykman-oracle")
    }

    override func tearDown() {
        dir?.remove()
    }

    func randomPIN(_ digits: Int = 8) -> String { String((0..<digits).map { _ in "0123456789".randomElement()! }) }
    func randomKey(bytes: Int) -> String { (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined() }

    /// `ykman --reader <card's reader> ARGS…`, in the test's directory.
    @discardableResult
    func ykman(_ card: SimulatedCard, _ args: [String]) throws -> RunResult {
        let r = try Run.process("ykman", ["--reader", card.reader] + args, currentDirectory: dir.url)
        var shown = [String](), mask = false
        for a in args {
            shown.append(mask ? "***" : a)
            mask = ["-P", "--pin", "-p", "--puk", "-n", "--new-pin", "--new-puk", "-m", "--management-key",
                    "--new-management-key"].contains(a)
        }
        print("$ ykman \(shown.joined(separator: " ")) -> exit \(r.status)\n\(r.out)\(r.err)")
        return r
    }

    func expect(_ r: RunResult, out: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 0, r.description, file: file, line: line)
        XCTAssertEqual(r.out, out, file: file, line: line)
    }

    func expectFailure(_ r: RunResult, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 1, r.description, file: file, line: line)
        XCTAssertEqual(r.err, "ERROR: \(message)\n", file: file, line: line)
    }

    func openssl(_ args: [String]) throws -> RunResult {
        let r = try Run.process("openssl", args, currentDirectory: dir.url)
        XCTAssertEqual(r.status, 0, "openssl \(args): \(r)")
        return r
    }

    /// The SubjectPublicKeyInfo (PEM) of a certificate, key or public key file.
    func publicKey(ofCertificate path: String) throws -> String { try openssl(["x509", "-in", path, "-noout", "-pubkey"]).out }
    func publicKey(ofKey path: String) throws -> String { try openssl(["pkey", "-in", path, "-pubout"]).out }
    func text(_ path: String) throws -> String { String(decoding: try dir.read(path), as: UTF8.self) }

    static let applicationTable = """
        Applications\tUSB    \tNFC    
        Yubico OTP  \tEnabled\tEnabled
        FIDO U2F    \tEnabled\tEnabled
        FIDO2       \tEnabled\tEnabled
        OATH        \tEnabled\tEnabled
        PIV         \tEnabled\tEnabled
        OpenPGP     \tEnabled\tEnabled
        YubiHSM Auth\tEnabled\tEnabled

        """

    static func freshPIVInfo(_ version: String, managementKey: String) -> String {
        """
        PIV version:              \(version)
        PIN tries remaining:      3/3
        PUK tries remaining:      3/3
        Management key algorithm: \(managementKey)
        WARNING: Using default PIN!
        WARNING: Using default PUK!
        WARNING: Using default Management key!
        CHUID: No data available
        CCC:   No data available

        """
    }

    // MARK: Device and PIV info

    func testInfoShowsAYubiKey5NFCOfEitherFirmware() throws {
        for version in ["5.4.3", "5.7.1"] {
            let card = try SimulatedCard.insert(version: version)
            defer { card.remove() }
            expect(try ykman(card, ["info"]), out: """
                Device type: YubiKey 5 NFC
                Serial number: \(card.serial)
                Firmware version: \(version)
                Form factor: Keychain (USB-A)
                Enabled USB interfaces: OTP, FIDO, CCID
                NFC transport is enabled


                """ + YkmanOracleTests.applicationTable)
        }
    }

    func testPIVInfoOfFreshCards() throws {
        for (version, algorithm) in [("5.4.3", "TDES"), ("5.7.1", "AES192")] {
            let card = try SimulatedCard.insert(version: version)
            defer { card.remove() }
            expect(try ykman(card, ["piv", "info"]), out: YkmanOracleTests.freshPIVInfo(version, managementKey: algorithm))
        }
    }

    // MARK: Keys and certificates

    /// A key made on the card, its metadata, its attestation (chaining to the card's F9
    /// certificate) and a self-signed certificate signed on the card: three oracles agree.
    func testGenerateAttestAndCertifyOnTheCard() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let m = YkmanOracleTests.defaultKey
        expect(try ykman(card, ["piv", "keys", "generate", "-m", m, "-a", "ECCP256", "--pin-policy", "once",
                                "--touch-policy", "cached", "9a", "pub.pem"]),
               out: "Private key generated in slot 9A (AUTHENTICATION), public key written to pub.pem.\n")
        expect(try ykman(card, ["piv", "keys", "info", "9a"]), out: """
            Key slot:               9A (AUTHENTICATION)
            Algorithm:              ECCP256
            Origin:                 GENERATED
            PIN required for use:   ONCE
            Touch required for use: CACHED

            """)
        expect(try ykman(card, ["piv", "keys", "export", "9a", "exported.pem"]),
               out: "Public key for slot 9A (AUTHENTICATION) written to exported.pem.\n")
        XCTAssertEqual(try text("exported.pem"), try text("pub.pem"))

        expect(try ykman(card, ["piv", "keys", "attest", "9a", "attestation.pem"]),
               out: "Attestation certificate for slot 9A (AUTHENTICATION) written to attestation.pem.\n")
        expect(try ykman(card, ["piv", "certificates", "export", "f9", "f9.pem"]),
               out: "Certificate from slot F9 (ATTESTATION) exported to f9.pem.\n")
        XCTAssertEqual(try openssl(["verify", "-CAfile", "f9.pem", "attestation.pem"]).out, "attestation.pem: OK\n")
        XCTAssertEqual(try publicKey(ofCertificate: "attestation.pem"), try text("pub.pem"))

        let pin = randomPIN()
        expect(try ykman(card, ["piv", "access", "change-pin", "-P", "123456", "-n", pin]), out: "New PIN set.\n")
        expect(try ykman(card, ["piv", "certificates", "generate", "-m", m, "-P", pin, "-s", "CN=keyrack ykman oracle", "9a"]),
               out: "Certificate generated in slot AUTHENTICATION.\n")
        expect(try ykman(card, ["piv", "certificates", "export", "9a", "cert.pem"]),
               out: "Certificate from slot 9A (AUTHENTICATION) exported to cert.pem.\n")
        // Self-signed with the slot's key: verifying it checks the card's ECDSA signature.
        XCTAssertEqual(try openssl(["verify", "-CAfile", "cert.pem", "cert.pem"]).out, "cert.pem: OK\n")
        XCTAssertEqual(try publicKey(ofCertificate: "cert.pem"), try text("pub.pem"))
        let status = try card.pivTool(["-a", "status"])
        XCTAssertTrue(status.out.contains("Slot 9a:\t\n\tAlgorithm:\tECCP256\n\tSubject DN:\tCN=keyrack ykman oracle\n"), status.out)

        let info = try ykman(card, ["piv", "info"])
        XCTAssertEqual(info.status, 0, info.description)
        XCTAssertTrue(info.out.contains("""
            Slot 9A (AUTHENTICATION):
              Private key type: ECCP256
              Public key type:  ECCP256
              Subject DN:       CN=keyrack ykman oracle
              Issuer DN:        CN=keyrack ykman oracle
            """), info.out)
        XCTAssertFalse(info.out.contains("WARNING: Using default PIN!"), info.out)

        expect(try ykman(card, ["piv", "certificates", "delete", "-m", m, "9a"]), out: "Certificate in slot AUTHENTICATION deleted.\n")
        expectFailure(try ykman(card, ["piv", "certificates", "export", "9a", "gone.pem"]), "No certificate found.")
        expectFailure(try ykman(card, ["piv", "keys", "info", "9c"]), "No key stored in slot 9C (SIGNATURE).")
    }

    /// A key and certificate made elsewhere (openssl) and imported: metadata says IMPORTED, the
    /// public key is the file's, attestation is refused, `--verify` signs on the card.
    func testImportKeyAndCertificate() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let m = YkmanOracleTests.defaultKey
        _ = try openssl(["ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", "p384.key"])
        _ = try openssl(["req", "-new", "-x509", "-key", "p384.key", "-subj", "/CN=imported", "-days", "30", "-out", "p384.pem"])
        expect(try ykman(card, ["piv", "keys", "import", "-m", m, "--pin-policy", "never", "--touch-policy", "always",
                                "9e", "p384.key"]), out: "Private key imported into slot CARD_AUTH.\n")
        expect(try ykman(card, ["piv", "keys", "info", "9e"]), out: """
            Key slot:               9E (CARD_AUTH)
            Algorithm:              ECCP384
            Origin:                 IMPORTED
            PIN required for use:   NEVER
            Touch required for use: ALWAYS

            """)
        expect(try ykman(card, ["piv", "keys", "export", "9e", "-"]), out: try publicKey(ofKey: "p384.key"))
        expectFailure(try ykman(card, ["piv", "keys", "attest", "9e", "att.pem"]), "Attestation failed.")
        let touches = try card.touchCount()
        expect(try ykman(card, ["piv", "certificates", "import", "-m", m, "--verify", "9e", "p384.pem"]),
               out: "Certificate imported into slot CARD_AUTH\n")
        XCTAssertEqual(try card.touchCount(), touches + 1, "--verify signed with the slot key (touch policy always)")
        expect(try ykman(card, ["piv", "certificates", "export", "9e", "back.pem"]),
               out: "Certificate from slot 9E (CARD_AUTH) exported to back.pem.\n")
        XCTAssertEqual(try text("back.pem"), try text("p384.pem"))

        // A certificate whose key is not the slot's is refused by --verify.
        _ = try openssl(["ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", "other.key"])
        _ = try openssl(["req", "-new", "-x509", "-key", "other.key", "-subj", "/CN=other", "-days", "30", "-out", "other.pem"])
        let refused = try ykman(card, ["piv", "certificates", "import", "-m", m, "--verify", "9e", "other.pem"])
        XCTAssertEqual(refused.status, 1, refused.description)
        XCTAssertEqual(refused.err, "Touch your YubiKey...\n"
                       + "ERROR: The public key of the certificate does not match the private key in slot 9E (CARD_AUTH).\n")
    }

    // MARK: Access

    func testChangePINAndPUKBlockAndUnblock() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let pin = randomPIN(), puk = randomPIN(), newPIN = randomPIN(7)
        expect(try ykman(card, ["piv", "access", "change-pin", "-P", "123456", "-n", pin]), out: "New PIN set.\n")
        expect(try ykman(card, ["piv", "access", "change-puk", "-p", "12345678", "-n", puk]), out: "New PUK set.\n")
        expectFailure(try ykman(card, ["piv", "access", "change-pin", "-P", "000000", "-n", newPIN]), "PIN change failed - 2 tries left.")
        expectFailure(try ykman(card, ["piv", "access", "change-pin", "-P", "000000", "-n", newPIN]), "PIN change failed - 1 tries left.")
        expectFailure(try ykman(card, ["piv", "access", "change-pin", "-P", "000000", "-n", newPIN]), "PIN is blocked.")
        expectFailure(try ykman(card, ["piv", "access", "change-pin", "-P", pin, "-n", newPIN]), "PIN is blocked.")
        expectFailure(try ykman(card, ["piv", "access", "unblock-pin", "-p", "00000000", "-n", newPIN]),
                      "PIN unblock failed - 2 tries left.")
        expect(try ykman(card, ["piv", "access", "unblock-pin", "-p", puk, "-n", newPIN]), out: "New PIN set.\n")
        let info = try ykman(card, ["piv", "info"])
        XCTAssertTrue(info.out.hasPrefix("""
            PIV version:              5.4.3
            PIN tries remaining:      3/3
            PUK tries remaining:      3/3
            Management key algorithm: TDES
            WARNING: Using default Management key!

            """), info.description)
        // The new PIN is the one the card now takes (yubico-piv-tool as the second oracle).
        XCTAssertEqual(try card.pivTool(["-a", "verify-pin", "-P", newPIN]).status, 0)
    }

    /// TDES → AES-128 → AES-192 → AES-256 → AES-192 protected by the PIN: each new key is the one
    /// the card takes (a key generated with it), the old one is refused.
    func testChangeManagementKeyThroughEveryAlgorithm() throws {
        for version in ["5.4.3", "5.7.1"] {
            let card = try SimulatedCard.insert(version: version)
            defer { card.remove() }
            var current = YkmanOracleTests.defaultKey
            for (algorithm, bytes) in [("TDES", 24), ("AES128", 16), ("AES192", 24), ("AES256", 32)] {
                let next = randomKey(bytes: bytes)
                expect(try ykman(card, ["piv", "access", "change-management-key", "-m", current, "-a", algorithm, "-n", next]),
                       out: "New management key set.\n")
                expectFailure(try ykman(card, ["piv", "keys", "generate", "-m", current, "-a", "ECCP256", "9d", "-"]),
                              "Authentication with management key failed.")
                let r = try ykman(card, ["piv", "keys", "generate", "-m", next, "-a", "ECCP256", "9d", "-"])
                XCTAssertEqual(r.status, 0, r.description)
                XCTAssertTrue(r.out.hasPrefix("-----BEGIN PUBLIC KEY-----\n"), r.out)
                XCTAssertTrue(try ykman(card, ["piv", "info"]).out.contains("Management key algorithm: \(algorithm)\n"))
                current = next
            }
            let pin = randomPIN()
            expect(try ykman(card, ["piv", "access", "change-pin", "-P", "123456", "-n", pin]), out: "New PIN set.\n")
            expect(try ykman(card, ["piv", "access", "change-management-key", "-m", current, "-a", "AES192", "--protect", "-P", pin]),
                   out: "New management key set.\n")
            let info = try ykman(card, ["piv", "info"])
            XCTAssertTrue(info.out.contains("Management key algorithm: AES192\n"), info.out)
            XCTAssertTrue(info.out.contains("\nManagement key is stored on the YubiKey, protected by PIN.\n"), info.out)
            let r = try ykman(card, ["piv", "keys", "generate", "-P", pin, "-a", "ECCP256", "--pin-policy", "never", "82", "-"])
            XCTAssertEqual(r.status, 0, r.description)
            expectFailure(try ykman(card, ["piv", "keys", "generate", "-P", "000000", "-a", "ECCP256", "82", "-"]),
                          "PIN verification failed, 2 tries left.")
        }
    }

    func testResetRestoresTheFactoryState() throws {
        for (version, algorithm) in [("5.4.3", "TDES"), ("5.7.1", "AES192")] {
            let card = try SimulatedCard.insert(version: version)
            defer { card.remove() }
            let m = YkmanOracleTests.defaultKey
            XCTAssertEqual(try ykman(card, ["piv", "keys", "generate", "-m", m, "-a", "ECCP256", "9a", "-"]).status, 0)
            expect(try ykman(card, ["piv", "access", "change-management-key", "-m", m, "-a", "AES256", "-n", randomKey(bytes: 32)]),
                   out: "New management key set.\n")
            expect(try ykman(card, ["piv", "access", "change-pin", "-P", "123456", "-n", randomPIN()]), out: "New PIN set.\n")
            expect(try ykman(card, ["piv", "reset", "--force"]), out: """
                Resetting PIV data...
                Reset complete. All PIV data has been cleared from the YubiKey.
                Your YubiKey now has the default PIN, PUK and Management Key:
                \tPIN:\t123456
                \tPUK:\t12345678
                \tManagement Key:\t010203040506070801020304050607080102030405060708

                """)
            expect(try ykman(card, ["piv", "info"]), out: YkmanOracleTests.freshPIVInfo(version, managementKey: algorithm))
            expectFailure(try ykman(card, ["piv", "keys", "info", "9a"]), "No key stored in slot 9A (AUTHENTICATION).")
            // The factory key works again, of the firmware's type.
            XCTAssertEqual(try ykman(card, ["piv", "keys", "generate", "-m", m, "-a", "ECCP256", "9a", "-"]).status, 0)
        }
    }

    // MARK: Firmware 5.7

    func testCurve25519KeysOn57() throws {
        let card = try SimulatedCard.insert(version: "5.7.1")
        defer { card.remove() }
        let m = YkmanOracleTests.defaultKey
        expect(try ykman(card, ["piv", "keys", "generate", "-m", m, "-a", "X25519", "--pin-policy", "once", "9d", "x.pem"]),
               out: "Private key generated in slot 9D (KEY_MANAGEMENT), public key written to x.pem.\n")
        XCTAssertTrue(try openssl(["pkey", "-pubin", "-in", "x.pem", "-noout", "-text"]).out.hasPrefix("X25519 Public-Key:"))
        expect(try ykman(card, ["piv", "keys", "info", "9d"]), out: """
            Key slot:               9D (KEY_MANAGEMENT)
            Algorithm:              X25519
            Origin:                 GENERATED
            PIN required for use:   ONCE
            Touch required for use: NEVER

            """)
        expect(try ykman(card, ["piv", "keys", "attest", "9d", "x-att.pem"]),
               out: "Attestation certificate for slot 9D (KEY_MANAGEMENT) written to x-att.pem.\n")
        XCTAssertEqual(try ykman(card, ["piv", "certificates", "export", "f9", "f9.pem"]).status, 0)
        XCTAssertEqual(try openssl(["verify", "-CAfile", "f9.pem", "x-att.pem"]).out, "x-att.pem: OK\n")
        XCTAssertEqual(try publicKey(ofCertificate: "x-att.pem"), try text("x.pem"))

        expect(try ykman(card, ["piv", "keys", "generate", "-m", m, "-a", "ED25519", "9a", "ed.pem"]),
               out: "Private key generated in slot 9A (AUTHENTICATION), public key written to ed.pem.\n")
        expect(try ykman(card, ["piv", "certificates", "generate", "-m", m, "-P", "123456", "-s", "CN=ed25519 on the card", "9a"]),
               out: "Certificate generated in slot AUTHENTICATION.\n")
        XCTAssertEqual(try ykman(card, ["piv", "certificates", "export", "9a", "ed-cert.pem"]).status, 0)
        XCTAssertEqual(try openssl(["verify", "-CAfile", "ed-cert.pem", "ed-cert.pem"]).out, "ed-cert.pem: OK\n")
        XCTAssertEqual(try publicKey(ofCertificate: "ed-cert.pem"), try text("ed.pem"))

        for (algorithm, slot, name) in [("x25519", "85", "RETIRED4"), ("ed25519", "86", "RETIRED5")] {
            _ = try openssl(["genpkey", "-algorithm", algorithm, "-out", "\(algorithm).key"])
            expect(try ykman(card, ["piv", "keys", "import", "-m", m, slot, "\(algorithm).key"]),
                   out: "Private key imported into slot \(name).\n")
            expect(try ykman(card, ["piv", "keys", "export", slot, "-"]), out: try publicKey(ofKey: "\(algorithm).key"))
            XCTAssertTrue(try ykman(card, ["piv", "keys", "info", slot]).out.contains("Algorithm:              \(algorithm.uppercased())\n"))
        }
        let info = try ykman(card, ["piv", "info"])
        XCTAssertTrue(info.out.contains("Slot 9D (KEY_MANAGEMENT):\n  Private key type: X25519\n"), info.out)
        XCTAssertTrue(info.out.contains("Slot 85 (RETIRED4):\n  Private key type: X25519\n"), info.out)
    }

    func testMoveAndDeleteKeysOn57() throws {
        let card = try SimulatedCard.insert(version: "5.7.1")
        defer { card.remove() }
        let m = YkmanOracleTests.defaultKey
        XCTAssertEqual(try ykman(card, ["piv", "keys", "generate", "-m", m, "-a", "ECCP256", "9a", "a.pem"]).status, 0)
        XCTAssertEqual(try ykman(card, ["piv", "keys", "generate", "-m", m, "-a", "X25519", "9d", "-"]).status, 0)
        expect(try ykman(card, ["piv", "keys", "move", "-m", m, "9a", "82"]), out: "Key moved from slot AUTHENTICATION to slot RETIRED1.\n")
        expect(try ykman(card, ["piv", "keys", "export", "82", "moved.pem"]), out: "Public key for slot 82 (RETIRED1) written to moved.pem.\n")
        XCTAssertEqual(try text("moved.pem"), try text("a.pem"))
        XCTAssertTrue(try ykman(card, ["piv", "keys", "info", "82"]).out.contains("Origin:                 GENERATED\n"))
        expectFailure(try ykman(card, ["piv", "keys", "info", "9a"]), "No key stored in slot 9A (AUTHENTICATION).")
        expectFailure(try ykman(card, ["piv", "keys", "move", "-m", m, "9a", "83"]), "No key in SOURCE slot.")
        expectFailure(try ykman(card, ["piv", "keys", "move", "-m", m, "9d", "82"]), "DEST slot is not empty.")
        expect(try ykman(card, ["piv", "keys", "delete", "-m", m, "82"]), out: "Key in slot RETIRED1 deleted.\n")
        expectFailure(try ykman(card, ["piv", "keys", "delete", "-m", m, "82"]), "No key stored in slot 82 (RETIRED1).")
    }

    /// A 5.4.3 card is not taken for a 5.7: ykman refuses the new features from the version the
    /// card reports (and the card itself refuses them, see PIVSimulatorTests.Firmware57Tests).
    func testFirmware543HasNoneOf57() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let m = YkmanOracleTests.defaultKey
        expectFailure(try ykman(card, ["piv", "keys", "generate", "-m", m, "-a", "X25519", "9d", "-"]), "X25519 requires YubiKey 5.7 or later")
        XCTAssertEqual(try ykman(card, ["piv", "keys", "generate", "-m", m, "-a", "ECCP256", "9a", "-"]).status, 0)
        expectFailure(try ykman(card, ["piv", "keys", "move", "-m", m, "9a", "82"]), "This action requires YubiKey 5.7.0 or later")
        expectFailure(try ykman(card, ["piv", "keys", "delete", "-m", m, "9a"]), "This action requires YubiKey 5.7.0 or later")
    }
}
