import Foundation
@testable import KeyrackApp
import PIV
import XCTest

/// The pure parts of `yubikey list` and `yubikey setup --slot 9a`: how a slot's algorithm is
/// named, and the certificate's PEM (64 base64 characters a line, what `bao write
/// auth/cert/certs` reads).
final class YubiKeyListingTests: XCTestCase {
    func testAlgorithmNames() {
        XCTAssertEqual(CardListing.algorithmName(PIVAlgorithm.eccP256), "P-256")
        XCTAssertEqual(CardListing.algorithmName(PIVAlgorithm.x25519), "X25519")
        XCTAssertEqual(CardListing.algorithmName(0x07), "RSA-2048")
        XCTAssertEqual(CardListing.algorithmName(nil), "certificate only")
        XCTAssertEqual(CardListing.algorithmName(0x42), "algorithm 0x42")
    }

    func testCertificatePEMWrapsAt64Characters() throws {
        let der = [UInt8](repeating: 0xab, count: 100)
        let pem = LoginKeySetup.pem(der)
        let lines = pem.split(separator: "\n")
        XCTAssertEqual(lines.first, "-----BEGIN CERTIFICATE-----")
        XCTAssertEqual(lines.last, "-----END CERTIFICATE-----")
        XCTAssertEqual(lines.dropFirst().dropLast().map(\.count), [64, 64, 8], "136 base64 characters")
        XCTAssertEqual(Data(base64Encoded: lines.dropFirst().dropLast().joined()).map(Array.init), der)
        XCTAssertTrue(pem.hasSuffix("\n"))
    }
}
