import Crypto
import X509
import XCTest
@testable import KeyrackProxy

/// The run's CA (issue 27): a CA that may sign leaves only, and leaves for one name each that
/// its key really signed.
final class RunAuthorityTests: XCTestCase {
    func testLeavesAreSignedByTheRunCAForOneNameEach() throws {
        let ca = try RunAuthority()
        let pem = try ca.certificatePEM()
        let caCert = try Certificate(pemEncoded: pem)
        XCTAssertEqual(try caCert.extensions.basicConstraints, .isCertificateAuthority(maxPathLength: 0))
        for (host, expected) in [("api.github.com", GeneralName.dnsName("api.github.com")),
                                 ("127.0.0.1", GeneralName.ipAddress(.init(contentBytes: [127, 0, 0, 1])))] {
            let leaf = try ca.leaf(host: host, key: P256.Signing.PrivateKey())
            XCTAssertEqual(leaf.issuer, caCert.subject)
            XCTAssertTrue(caCert.publicKey.isValidSignature(leaf.signature, for: leaf), host)
            XCTAssertEqual(try leaf.extensions.subjectAlternativeNames.map(Array.init), [expected])
            XCTAssertEqual(try leaf.extensions.basicConstraints, .notCertificateAuthority)
            XCTAssertLessThanOrEqual(leaf.notValidAfter.timeIntervalSince(leaf.notValidBefore), 86_400 + 300)
        }
        // Another run's CA signed none of them.
        let other = try Certificate(pemEncoded: try RunAuthority().certificatePEM())
        XCTAssertFalse(other.publicKey.isValidSignature(try ca.leaf(host: "x.example", key: P256.Signing.PrivateKey()).signature,
                                                        for: try ca.leaf(host: "x.example", key: P256.Signing.PrivateKey())))
        XCTAssertFalse(pem.contains("PRIVATE KEY"))
    }
}
