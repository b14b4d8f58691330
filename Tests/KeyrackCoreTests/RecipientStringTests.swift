import AgeFormat
import AgeSSH
import AgeYubiKey
import Crypto
import Foundation
import KeyrackCore
import PIV
import XCTest

/// The one table of recipient kinds and the one reader of identity lines, which `keyrack age`
/// and the manifests share. Every key here is made fresh by the test.
final class RecipientStringTests: XCTestCase {
    private func sshEd25519Line() -> String {
        let key = Curve25519.Signing.PrivateKey().publicKey.rawRepresentation
        func string(_ bytes: [UInt8]) -> [UInt8] {
            withUnsafeBytes(of: UInt32(bytes.count).bigEndian, Array.init) + bytes
        }
        let wire = string(Array("ssh-ed25519".utf8)) + string(Array(key))
        return "ssh-ed25519 \(Data(wire).base64EncodedString()) test@keyrack"
    }

    private func p256Point() -> [UInt8] { Array(P256.KeyAgreement.PrivateKey().publicKey.compressedRepresentation) }

    func testEachKindIsKnownByItsPrefixAndParsesToItsType() throws {
        let point = p256Point()
        let cases: [(String, RecipientString.Kind, Via, (any Recipient) -> Bool)] = [
            (X25519Identity.generate().recipient.string, .x25519, .age, { $0 is X25519Recipient }),
            (MLKEM768X25519Identity.generate().recipient.string, .mlkem768x25519, .age, { $0 is MLKEM768X25519Recipient }),
            (try PIVP256Recipient(point: point).string, .pivP256, .yubikey, { $0 is PIVP256Recipient }),
            (try P256TagRecipient(point: point).string, .p256Tag, .yubikey, { $0 is P256TagRecipient }),
            (sshEd25519Line(), .ssh, .ssh, { $0 is SSHEd25519Recipient }),
        ]
        XCTAssertEqual(Set(cases.map(\.1).map { "\($0)" }), Set(RecipientString.Kind.allCases.map { "\($0)" }), "every kind is tried")
        for (string, kind, via, isExpectedType) in cases {
            XCTAssertEqual(RecipientString.kind(of: string), kind, string)
            XCTAssertEqual(kind.via, via, string)
            let recipient = try RecipientString.recipient(string)
            XCTAssertTrue(isExpectedType(recipient), "\(string) parsed as \(type(of: recipient))")
        }
    }

    func testStringsOfNoKnownKindOrBrokenOnesAreRefusedByName() {
        func refusal(_ string: String) -> String? {
            do { _ = try RecipientString.recipient(string); return nil } catch let error as AgeError {
                guard case .invalidKey(let why) = error else { return "\(error)" }
                return why
            } catch { return "\(error)" }
        }
        XCTAssertNil(RecipientString.kind(of: "hello"))
        XCTAssertTrue(refusal("hello")?.contains("unknown recipient type") ?? false, refusal("hello") ?? "accepted")
        XCTAssertEqual(RecipientString.kind(of: "ecdsa-sha2-nistp256 AAAA"), .ssh, "refused by the ssh reader, by name")
        XCTAssertNotNil(refusal("ecdsa-sha2-nistp256 AAAA"))
        XCTAssertTrue(refusal("age1example1qqqq")?.contains("plugin recipient") ?? false, refusal("age1example1qqqq") ?? "accepted")
        let identity = X25519Identity.generate().string
        let found = refusal(identity)
        XCTAssertTrue(found?.contains("found an identity") ?? false, found ?? "accepted")
        XCTAssertFalse(found?.contains(identity) ?? true, "a secret key is never echoed")
        // A checksum error in any bech32 kind is refused, not parsed as another kind.
        for good in [try? PIVP256Recipient(point: p256Point()).string, X25519Identity.generate().recipient.string] {
            guard var broken = good else { return XCTFail("no key made") }
            let last = broken.removeLast()
            broken.append(last == "q" ? "p" : "q")
            XCTAssertNotNil(refusal(broken), broken)
        }
    }

    func testIdentityLinesReadAgeKeysAndCardStubsInOrder() throws {
        let x = X25519Identity.generate()
        let pq = MLKEM768X25519Identity.generate()
        let stub = try YubiKeyStub(serial: 31_337_001, slot: PIVSlot(0x82), tag: [1, 2, 3, 4])
        let text = "# created by a test\n\(x.string)\n\n\(stub.string)\n\(pq.string)\n"
        var stubs: [YubiKeyStub] = []
        let ids = try IdentityLines.identities(in: text) { s in
            stubs.append(s)
            return x
        }
        XCTAssertEqual(ids.count, 3)
        XCTAssertEqual((ids[0] as? X25519Identity)?.recipient.string, x.recipient.string)
        XCTAssertEqual((ids[2] as? MLKEM768X25519Identity)?.recipient.string, pq.recipient.string)
        XCTAssertEqual(stubs.map(\.serial), [31_337_001])
        XCTAssertEqual(stubs.map(\.slot), [PIVSlot(0x82)])
    }

    func testABadIdentityLineIsNamedByNumberWithoutItsText() {
        let secretLooking = "AGE-SECRET-KEY-1" + String(repeating: "Q", count: 20)
        let text = "# comment\n\(X25519Identity.generate().string)\n\(secretLooking)\n"
        XCTAssertThrowsError(try IdentityLines.identities(in: text) { _ in XCTFail("no stub here"); return X25519Identity.generate() }) { error in
            guard case AgeError.invalidKey(let why)? = error as? AgeError else { return XCTFail("\(error)") }
            XCTAssertTrue(why.hasPrefix("line 3: "), why)
            XCTAssertFalse(why.contains(secretLooking), why)
        }
        XCTAssertThrowsError(try IdentityLines.identities(in: "# only a comment\n") { _ in X25519Identity.generate() })
    }
}
