import Foundation
@testable import KeyrackApp
import KeyrackCore
import KeyrackDaemon
import TestSupport
import XCTest

/// `audit verify`'s use case: the keys it requires come from the request or, with the manifest,
/// from one opening of it (a card key file given wins); the card key file is read by the one
/// key-file reader (bounded, a missing file named) and must hold a P-256 public key.
final class AuditVerifyTests: XCTestCase {
    private var dir: TempDirectory!
    override func setUpWithError() throws { dir = try TempDirectory("keyrack-audit-verify") }
    override func tearDown() { dir.remove() }

    /// A P-256 public key in PEM, as a card's slot key is printed, made by openssl.
    private func cardKeyPEM() throws -> URL {
        let key = dir.file("card.key").path, pem = dir.file("card.pem")
        XCTAssertEqual(try Run.process("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key]).status, 0)
        XCTAssertEqual(try Run.process("openssl", ["ec", "-in", key, "-pubout", "-out", pem.path]).status, 0)
        return pem
    }

    /// A clean log of one genesis record, signed by nothing.
    private func files() throws -> AuditRecords.Files {
        let home = dir.file("home").path
        XCTAssertEqual(mkdir(home, 0o700), 0)
        _ = try AuditLog(home: home, owner: "bot", checkpointEvery: 1000)
        return try AuditRecords.read(home: home, owner: "bot")
    }

    func testTheCardKeyFileIsReadBoundedAndMustHoldAP256Key() throws {
        let pem = try cardKeyPEM()
        let hex = try AuditVerify.cardKeyHex(file: pem.path)
        XCTAssertEqual(hex, AuditVerifier.cardKeyHex(pem: try String(contentsOf: pem, encoding: .utf8)))
        XCTAssertEqual(hex.count, 130, "an uncompressed P-256 point")

        let notPEM = try dir.write("not.pem", Array("hello\n".utf8))
        XCTAssertThrowsError(try AuditVerify.cardKeyHex(file: notPEM.path)) { XCTAssertEqual($0 as? AuditVerifyError, .notACardKey(path: notPEM.path)) }
        let missing = dir.file("absent.pem").path
        XCTAssertThrowsError(try AuditVerify.cardKeyHex(file: missing)) { error in
            XCTAssertEqual((error as? KeyrackError)?.kind, .usage, "\(error)")
            XCTAssertTrue("\(error)".contains("card public key file \(missing) does not exist"), "\(error)")
        }
        // Read no further than a key file's cap (it was read whole before).
        let huge = try dir.write("huge.pem", [UInt8](repeating: 0x41, count: KeyFile.maxBytes + 1))
        XCTAssertThrowsError(try AuditVerify.cardKeyHex(file: huge.path)) { error in
            XCTAssertTrue("\(error)".contains("is larger than 1 MiB"), "\(error)")
        }
    }

    func testTheManifestsKeysAreRequiredOnlyWhenAskedAndAGivenCardKeyWins() throws {
        let files = try files()
        var opened = 0
        let manifest = { () throws -> (checkpoint: String, card: String?) in opened += 1; return ("aa", "bb") }

        let plain = try AuditVerify.run(.init(owner: "bot", checkpointKey: "cc"), files: files, manifestKeys: manifest)
        XCTAssertEqual(opened, 0, "the manifest is opened only for --manifest")
        XCTAssertEqual(plain.checkpointKey, "cc")
        XCTAssertNil(plain.cardKey)
        XCTAssertTrue(plain.report.ok)
        XCTAssertEqual(plain.json.records, 1)
        XCTAssertNil(plain.json.error)

        let fromManifest = try AuditVerify.run(.init(owner: "bot", fromManifest: true), files: files, manifestKeys: manifest)
        XCTAssertEqual(opened, 1)
        XCTAssertEqual(fromManifest.checkpointKey, "aa")
        XCTAssertEqual(fromManifest.cardKey, "bb")

        let pem = try cardKeyPEM()
        let both = try AuditVerify.run(.init(owner: "bot", cardKeyFile: pem.path, fromManifest: true), files: files, manifestKeys: manifest)
        XCTAssertEqual(opened, 2, "one opening per run, for both keys")
        XCTAssertEqual(both.cardKey, try AuditVerify.cardKeyHex(file: pem.path))
        XCTAssertEqual(both.checkpointKey, "aa")
    }
}
