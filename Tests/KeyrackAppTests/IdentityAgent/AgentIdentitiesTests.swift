import AgeFormat
@testable import KeyrackApp
@testable import KeyrackDaemon
import XCTest

/// The daemon's software identities, built from what `unlock --identity-agent` registered: an
/// X25519 scalar unwraps a file key wrapped to it, a file of someone else is "not mine", a bad
/// key fails at registration, an unknown kind is refused.
final class AgentIdentitiesTests: XCTestCase {
    private func secret(_ bytes: [UInt8]) throws -> AgentSecret { AgentSecret(try GuardedBytes(copying: bytes)) }

    func testAnX25519ScalarUnwrapsItsFileAndNotAnothers() throws {
        let mine = X25519Identity.generate(), other = X25519Identity.generate()
        let fileKey = try FileKey(bytes: (0..<16).map { UInt8($0) })
        let wrapped = try mine.recipient.wrap(fileKey).map { AgentStanza(type: $0.type, arguments: $0.arguments, body: $0.body) }
        let foreign = try other.recipient.wrap(fileKey).map { AgentStanza(type: $0.type, arguments: $0.arguments, body: $0.body) }
        let scalar = try Bech32.decode(mine.string).data
        let identity = try AgentIdentities.factory("x25519", "", try secret(scalar))
        XCTAssertEqual(try identity.unwrap(files: [wrapped, foreign], secret: nil), [.fileKey(fileKey.bytes), .notMine])
    }

    func testABadKeyFailsAtRegistrationAndAnUnknownKindIsRefused() throws {
        XCTAssertThrowsError(try AgentIdentities.factory("age", "", try secret(Array("not an identity".utf8))))
        XCTAssertThrowsError(try AgentIdentities.factory("rot13", "", try secret([1]))) { error in
            guard case AgentIdentityError.failed(let why) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(why, "unknown identity kind 'rot13'")
        }
    }
}
