import Crypto
import Foundation
import TestSupport
import XCTest
@testable import TPM

/// The TPM client against a real software TPM (Debian's swtpm, a fresh one per test) through the
/// real libtss2 (ESYS + the swtpm TCTI); tpm2-tools' `tpm2_getcap` as the oracle for what the
/// TPM itself says.
final class TPMClientTests: XCTestCase {
    var tpm: SoftwareTPM!

    override func setUpWithError() throws { tpm = try SoftwareTPM() }
    override func tearDown() { tpm?.stop() }

    /// A property's value as tpm2_getcap prints it (`  raw: 0x3` under the property's name).
    func getcap(_ group: String, _ property: String, tcti: String) throws -> UInt32 {
        let r = try Run.process("tpm2_getcap", ["-T", tcti, group])
        XCTAssertEqual(r.status, 0, r.description)
        let lines = r.out.split(separator: "\n").map(String.init)
        let i = try XCTUnwrap(lines.firstIndex { $0.hasPrefix(property + ":") }, r.out)
        // `NAME: 0x3` on one line, or `NAME:` then `  raw: 0x…` for the fixed ones.
        let raw = lines[i].hasSuffix(":") ? lines[i + 1] : lines[i]
        let hex = try XCTUnwrap(raw.split(separator: ":").last?.trimmingCharacters(in: .whitespaces))
        return try XCTUnwrap(UInt32(hex.replacingOccurrences(of: "0x", with: ""), radix: 16), raw)
    }

    func testECDHOnTheTPMIsTheSoftwareECDHWithItsPublicKey() throws {
        let client = TPMClient(tcti: tpm.tcti)
        let key = try client.createKey(pin: nil)
        XCTAssertFalse(key.hasPIN)
        XCTAssertEqual(key.point.count, 65)
        let pub = try P256.KeyAgreement.PublicKey(x963Representation: key.point)
        for n in 1...3 {
            let ephemeral = P256.KeyAgreement.PrivateKey()
            let onTPM = try client.ecdh(key, peer: Array(ephemeral.publicKey.x963Representation), pin: nil)
            let inSoftware = try ephemeral.sharedSecretFromKeyAgreement(with: pub).withUnsafeBytes { Array($0) }
            XCTAssertEqual(onTPM, inSoftware, "ZGen's x-coordinate is the ECDH shared secret")
            XCTAssertEqual(client.ecdhOperations, n, "one ECDH_ZGen per call")
        }
        // A second key is another key; the sealed blobs differ, and both load.
        let other = try client.createKey(pin: nil)
        XCTAssertNotEqual(other.point, key.point)
        XCTAssertEqual(other.parentName, key.parentName, "the same storage root key, derived again from the same template")
        try client.verify(key)
    }

    func testTheStorageRootKeyIsDerivedNotStoredAndSurvivesARestart() throws {
        let client = TPMClient(tcti: tpm.tcti)
        let key = try client.createKey(pin: nil)
        let ephemeral = P256.KeyAgreement.PrivateKey()
        let before = try client.ecdh(key, peer: Array(ephemeral.publicKey.x963Representation), pin: nil)
        // The same TPM (state directory) restarted: the key still loads, with no persistent handle.
        let state = tpm.stateDirectory
        tpm.shutDown()
        tpm = try SoftwareTPM(stateDirectory: state)
        let after = try TPMClient(tcti: tpm.tcti).ecdh(key, peer: Array(ephemeral.publicKey.x963Representation), pin: nil)
        XCTAssertEqual(before, after)
        let handles = try Run.process("tpm2_getcap", ["-T", tpm.tcti, "handles-persistent"])
        XCTAssertEqual(handles.status, 0, handles.description)
        XCTAssertEqual(handles.out.trimmingCharacters(in: .whitespacesAndNewlines), "", "nothing persisted in the TPM")
    }

    func testAKeyWithAPINWantsItAndAWrongPINReportsTheTriesLeftWithoutRetrying() throws {
        let client = TPMClient(tcti: tpm.tcti)
        let pin = Array("correct horse".utf8)
        let key = try client.createKey(pin: pin)
        XCTAssertTrue(key.hasPIN)
        let peer = Array(P256.KeyAgreement.PrivateKey().publicKey.x963Representation)
        XCTAssertThrowsError(try client.ecdh(key, peer: peer, pin: nil)) { XCTAssertEqual($0 as? TPMError, .pinRequired) }
        XCTAssertEqual(client.ecdhOperations, 0, "no PIN, no command")

        let status = try client.lockoutStatus()
        XCTAssertEqual(status.failedTries, 0)
        XCTAssertEqual(UInt32(status.maxTries), try getcap("properties-variable", "TPM2_PT_MAX_AUTH_FAIL", tcti: tpm.tcti))
        XCTAssertGreaterThan(status.maxTries, 1)
        XCTAssertThrowsError(try client.ecdh(key, peer: peer, pin: Array("wrong".utf8))) { error in
            XCTAssertEqual(error as? TPMError, .wrongPIN(triesLeft: status.maxTries - 1))
            XCTAssertTrue("\(error)".hasPrefix("wrong TPM PIN (\(status.maxTries - 1) tries left before the TPM locks out): retry"), "\(error)")
        }
        XCTAssertEqual(client.ecdhOperations, 1, "asked once, never retried")
        XCTAssertEqual(try getcap("properties-variable", "TPM2_PT_LOCKOUT_COUNTER", tcti: tpm.tcti), 1, "the TPM counted exactly one failure")
        XCTAssertEqual(try client.lockoutStatus().failedTries, 1)

        let ephemeral = P256.KeyAgreement.PrivateKey()
        let shared = try client.ecdh(key, peer: Array(ephemeral.publicKey.x963Representation), pin: pin)
        XCTAssertEqual(shared, try ephemeral.sharedSecretFromKeyAgreement(with: P256.KeyAgreement.PublicKey(x963Representation: key.point)).withUnsafeBytes { Array($0) })
    }

    func testLockoutSaysHowLongAndRefusesEvenTheRightPIN() throws {
        let client = TPMClient(tcti: tpm.tcti)
        let pin = Array("1234".utf8)
        let key = try client.createKey(pin: pin)
        let peer = Array(P256.KeyAgreement.PrivateKey().publicKey.x963Representation)
        let max = try client.lockoutStatus().maxTries
        for tries in stride(from: max - 1, through: 0, by: -1) {
            XCTAssertThrowsError(try client.ecdh(key, peer: peer, pin: Array("0000".utf8))) { XCTAssertEqual($0 as? TPMError, .wrongPIN(triesLeft: tries)) }
        }
        let status = try client.lockoutStatus()
        XCTAssertTrue(status.inLockout)
        XCTAssertEqual(UInt32(status.secondsPerTry), try getcap("properties-variable", "TPM2_PT_LOCKOUT_INTERVAL", tcti: tpm.tcti))
        XCTAssertThrowsError(try client.ecdh(key, peer: peer, pin: pin)) { error in
            XCTAssertEqual(error as? TPMError, .lockout(secondsPerTry: status.secondsPerTry))
            XCTAssertTrue("\(error)".contains("one try comes back every \(status.secondsPerTry) s"), "\(error)")
        }
    }

    func testAKeySealedByAnotherTPMIsRefusedAsAnotherTPMs() throws {
        let key = try TPMClient(tcti: tpm.tcti).createKey(pin: nil)
        let other = try SoftwareTPM()
        defer { other.stop() }
        let peer = Array(P256.KeyAgreement.PrivateKey().publicKey.x963Representation)
        let client = TPMClient(tcti: other.tcti)
        XCTAssertThrowsError(try client.ecdh(key, peer: peer, pin: nil)) { XCTAssertEqual($0 as? TPMError, .otherTPM) }
        // Without the recorded parent name (age-plugin-tpm's version 1), the TPM's integrity check refuses it.
        var bare = key
        bare.parentName = []
        XCTAssertThrowsError(try client.ecdh(bare, peer: peer, pin: nil)) { XCTAssertEqual($0 as? TPMError, .otherTPM) }
        XCTAssertEqual(client.ecdhOperations, 0)
    }

    func testATPMThatDiesIsUnreachableAndAMissingDeviceIsNamed() throws {
        let client = TPMClient(tcti: tpm.tcti)
        let key = try client.createKey(pin: nil)
        tpm.kill()
        let peer = Array(P256.KeyAgreement.PrivateKey().publicKey.x963Representation)
        XCTAssertThrowsError(try client.ecdh(key, peer: peer, pin: nil)) { error in
            guard case .unreachable(let tcti, _)? = error as? TPMError else { return XCTFail("\(error)") }
            XCTAssertEqual(tcti, self.tpm.tcti)
        }
        XCTAssertThrowsError(try TPMClient(tcti: "device:/dev/keyrack-no-such-tpm").info()) {
            XCTAssertEqual($0 as? TPMError, .noTPM(tcti: "device:/dev/keyrack-no-such-tpm"))
        }
    }

    func testInfoNamesTheManufacturerAsTheTPMReportsIt() throws {
        let info = try TPMClient(tcti: tpm.tcti).info()
        let raw = try getcap("properties-fixed", "TPM2_PT_MANUFACTURER", tcti: tpm.tcti)
        let chars = [24, 16, 8, 0].map { UInt8((raw >> UInt32($0)) & 0xFF) }.filter { $0 > 0x20 }
        XCTAssertEqual(info.manufacturer, String(decoding: chars, as: UTF8.self))
        XCTAssertEqual(info.manufacturer, "IBM", "swtpm (libtpms) reports IBM")
        XCTAssertFalse(info.firmware.isEmpty)
    }

    func testTheTCTIComesFromTheVariableThenTheRecordThenTheDevice() {
        XCTAssertEqual(TPMClient.tcti(environment: [:]), "device:/dev/tpmrm0")
        XCTAssertEqual(TPMClient.tcti(environment: [:], recorded: "swtpm:port=1"), "swtpm:port=1")
        XCTAssertEqual(TPMClient.tcti(environment: ["KEYRACK_TPM_TCTI": "mssim:port=2"], recorded: "swtpm:port=1"), "mssim:port=2")
    }

    func testPINsTheTPMCannotHoldAreRefusedBeforeReachingIt() throws {
        let client = TPMClient(tcti: tpm.tcti)
        XCTAssertThrowsError(try client.createKey(pin: [UInt8](repeating: 0x31, count: 33))) {
            XCTAssertEqual($0 as? TPMError, .invalidPIN("a TPM PIN is at most 32 bytes"))
        }
    }
}
