import AgeFormat
import XCTest
@testable import AgeSSH

/// The ssh-ed25519 recipient type below the key-file layer: the Edwards→Montgomery map, the
/// tag, and the stanza's failure modes.
final class Ed25519Tests: XCTestCase {
    /// libsodium's ed25519_convert vector, cross-checked with pyca/cryptography (Ed25519 public
    /// key of the seed, u = (1 + y)/(1 − y), and the X25519 public key of SHA-512(seed)[0..<32]).
    let seed = hex("421151a459faeade3d247115f94aedae42318124095afabe4d1451a559faedee")
    let edPublic = hex("b5076a8474a832daee4dd5b4040983b6623b5f344aca57d4d6ee4baf3f259e6e")
    let montgomery = hex("f1814f0e8ff1043d8a44d25babff3cedcae6c22c3edaa48f857ae70de2baae50")

    func testEdwardsToMontgomeryKnownVector() throws {
        XCTAssertEqual(montgomeryPublicKey(fromEd25519: edPublic), montgomery)
        let identity = try SSHEd25519Identity(seed: seed, publicKey: edPublic, comment: nil)
        XCTAssertEqual(identity.recipient.montgomeryKey, montgomery)
    }

    func testRefusesKeysThatAreNotPoints() {
        // y = 2 has no x on the curve; y = 1 is the identity (small order).
        var notOnCurve = [UInt8](repeating: 0, count: 32); notOnCurve[0] = 2
        var identityPoint = [UInt8](repeating: 0, count: 32); identityPoint[0] = 1
        for key in [notOnCurve, identityPoint] {
            XCTAssertNil(montgomeryPublicKey(fromEd25519: key))
            XCTAssertThrowsError(try SSHEd25519Recipient(ed25519Key: key, comment: nil)) {
                XCTAssertEqual($0 as? SSHKeyError, .malformedKey("the ssh-ed25519 public key is not a valid Ed25519 point"))
            }
        }
    }

    /// age's testdata key: its tag (computed independently with Python) and ssh-keygen-style fingerprint.
    func testTagAndFingerprint() throws {
        let line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH9pO5pz22JZEasoS2LEWWvJiUYI9M6l1uZc31FGYMXa alice@example"
        let recipient = try XCTUnwrap(SSHKeys.recipient(fromAuthorizedKey: line) as? SSHEd25519Recipient)
        XCTAssertEqual(recipient.publicKey.tag, "cp09gQ")
        XCTAssertEqual(recipient.publicKey.fingerprint, "SHA256:cp09gX/q55xtd9YsGvw//QeRN6gr1pdoRpmHXaFubAk")
        XCTAssertEqual(recipient.publicKey.authorizedKey, line)
        XCTAssertEqual(recipient.publicKey.comment, "alice@example")
    }

    func testWrapUnwrapAndStanzaShape() throws {
        let identity = try SSHEd25519Identity(seed: seed, publicKey: edPublic, comment: nil)
        let fileKey = FileKey.random()
        let stanzas = try identity.recipient.wrap(fileKey)
        XCTAssertEqual(stanzas.count, 1)
        XCTAssertEqual(stanzas[0].type, "ssh-ed25519")
        XCTAssertEqual(stanzas[0].arguments.count, 2)
        XCTAssertEqual(stanzas[0].arguments[0], identity.publicKey.tag)
        XCTAssertEqual(stanzas[0].arguments[1].count, 43)
        XCTAssertEqual(stanzas[0].body.count, 32)
        XCTAssertEqual(try identity.unwrap(stanzas), fileKey)
        // Fresh ephemeral key every time.
        XCTAssertNotEqual(try identity.recipient.wrap(fileKey)[0].arguments[1], stanzas[0].arguments[1])
    }

    func testOtherKeysStanzaIsNotMine() throws {
        let mine = try SSHEd25519Identity(seed: seed, publicKey: edPublic, comment: nil)
        let otherSeed = [UInt8](repeating: 7, count: 32)
        let otherPublic = Array(try Curve25519SigningPublic(otherSeed))
        let other = try SSHEd25519Identity(seed: otherSeed, publicKey: otherPublic, comment: nil)
        let stanzas = try other.recipient.wrap(FileKey.random())
        XCTAssertNil(try mine.unwrap(stanzas))
        XCTAssertNil(try mine.unwrap([Stanza(type: "X25519", arguments: ["abc"], body: [])]))
    }

    func testTamperedStanzasFailLoudly() throws {
        let identity = try SSHEd25519Identity(seed: seed, publicKey: edPublic, comment: nil)
        let good = try identity.recipient.wrap(FileKey.random())[0]
        let failed = SSHKeyError.unwrapFailed(keyType: "ssh-ed25519")

        var body = good; body.body[3] ^= 0x01
        XCTAssertThrowsError(try identity.unwrap([body])) { XCTAssertEqual($0 as? SSHKeyError, failed) }

        var share = good
        share.arguments[1] = AgeBase64.encodeUnpadded(try Curve25519SigningPublic([UInt8](repeating: 9, count: 32)))
        XCTAssertThrowsError(try identity.unwrap([share])) { XCTAssertEqual($0 as? SSHKeyError, failed) }

        // A low-order ephemeral share gives an all-zero shared secret, which must be refused.
        var lowOrder = good; lowOrder.arguments[1] = AgeBase64.encodeUnpadded([UInt8](repeating: 0, count: 32))
        XCTAssertThrowsError(try identity.unwrap([lowOrder])) { XCTAssertEqual($0 as? SSHKeyError, failed) }

        var shortBody = good; shortBody.body.removeLast()
        XCTAssertThrowsError(try identity.unwrap([shortBody])) {
            XCTAssertEqual($0 as? AgeError, .malformedStanza("ssh-ed25519 stanza body is 31 bytes, want 32"))
        }
        var threeArgs = good; threeArgs.arguments.append("x")
        XCTAssertThrowsError(try identity.unwrap([threeArgs])) {
            XCTAssertEqual($0 as? AgeError, .malformedStanza("ssh-ed25519 stanza has 3 arguments, want 2"))
        }
        // Non-canonical base64 (last character's unused bits set) is malformed even for another key's tag.
        var nonCanonical = good; nonCanonical.arguments[0] = "AAAAAA"
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var chars = Array(nonCanonical.arguments[1])
        let value = alphabet.firstIndex(of: chars[chars.count - 1])!
        chars[chars.count - 1] = alphabet[(value & ~3) | 1]   // set one of the two unused low bits
        nonCanonical.arguments[1] = String(chars)
        XCTAssertThrowsError(try identity.unwrap([nonCanonical])) {
            XCTAssertEqual($0 as? AgeError, .malformedStanza("ssh-ed25519 stanza's ephemeral share is not 32 bytes of canonical base64"))
        }
    }
}

import Crypto

private func Curve25519SigningPublic(_ seed: [UInt8]) throws -> [UInt8] {
    Array(try Curve25519.Signing.PrivateKey(rawRepresentation: seed).publicKey.rawRepresentation)
}
