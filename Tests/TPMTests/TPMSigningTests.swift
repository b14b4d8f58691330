import Crypto
import Foundation
import TestSupport
import XCTest
@testable import TPM

/// The access log's TPM signing key (docs/audit.md, TPM checkpoints) against a real software TPM
/// (swtpm, a fresh one per test) through libtss2 alone; swift-crypto is the oracle.
final class TPMSigningTests: XCTestCase {
    var tpm: SoftwareTPM!

    override func setUpWithError() throws { tpm = try SoftwareTPM() }
    override func tearDown() { tpm?.stop() }

    func testASignatureFromTheTPMVerifiesWithItsPublicKeyWithoutTPM2Tools() throws {
        // libtss2 talks to the TPM itself: the TPM module starts no program (tpm2-tools is the
        // tests' oracle only). Checked on its sources rather than by emptying this process's
        // PATH, which every other thread of the test process shares.
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/TPM")
        let files = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { $0.hasSuffix(".swift") }
        XCTAssertFalse(files.isEmpty, sources.path)
        for file in files {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for call in ["posix_spawn", "Process(", "execv", "execl", "fork(", "system(", "popen(", "import ProcessSpawn"] {
                XCTAssertFalse(text.contains(call), "Sources/TPM/\(file) starts a program (\(call))")
            }
        }
        let client = TPMClient(tcti: tpm.tcti)
        let key = try client.createSigningKey(pin: nil)
        XCTAssertFalse(key.hasPIN)
        let pub = try P256.Signing.PublicKey(x963Representation: key.point)
        for n in 0..<3 {
            let message = Array("keyrack-audit head \(n)".utf8)
            let digest = Array(SHA256.hash(data: message))
            let rs = try client.sign(key, digest: digest, pin: nil)
            XCTAssertEqual(rs.count, 64)
            let signature = try P256.Signing.ECDSASignature(rawRepresentation: rs)
            XCTAssertTrue(pub.isValidSignature(signature, for: message), "the TPM's ECDSA signature verifies with its key")
            XCTAssertFalse(pub.isValidSignature(signature, for: message + [0]), "and over that message only")
        }
    }

    func testASigningKeyWithAPINSignsOnlyWithIt() throws {
        let client = TPMClient(tcti: tpm.tcti)
        let key = try client.createSigningKey(pin: Array("2468".utf8))
        XCTAssertTrue(key.hasPIN)
        let digest = Array(SHA256.hash(data: Array("head".utf8)))
        XCTAssertThrowsError(try client.sign(key, digest: digest, pin: nil)) { XCTAssertEqual($0 as? TPMError, .pinRequired) }
        let rs = try client.sign(key, digest: digest, pin: Array("2468".utf8))
        let pub = try P256.Signing.PublicKey(x963Representation: key.point)
        XCTAssertTrue(pub.isValidSignature(try P256.Signing.ECDSASignature(rawRepresentation: rs), for: Array("head".utf8)))
    }

    func testAnotherTPMCannotSignWithTheKey() throws {
        let key = try TPMClient(tcti: tpm.tcti).createSigningKey(pin: nil)
        let other = try SoftwareTPM()
        defer { other.stop() }
        XCTAssertThrowsError(try TPMClient(tcti: other.tcti).sign(key, digest: [UInt8](repeating: 1, count: 32), pin: nil)) {
            XCTAssertEqual($0 as? TPMError, .otherTPM)
        }
    }
}
