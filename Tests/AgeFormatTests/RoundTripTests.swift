import XCTest
import TestSupport
@testable import AgeFormat

/// Whole-file round trips through the public API, and both directions against Debian's `age`.
final class RoundTripTests: XCTestCase {
    let sizes = [0, 1, 47, 48, 65535, 65536, 65537, 131072, 200_000]

    func testRoundTripBinaryAndArmoredAtChunkEdges() throws {
        let identity = X25519Identity.generate()
        for size in sizes {
            let plaintext = randomBytes(size)
            for armor in [false, true] {
                let file = try Age.encrypt(plaintext, to: [identity.recipient], armor: armor)
                XCTAssertEqual(file.starts(with: Array("-----BEGIN AGE ENCRYPTED FILE-----\n".utf8)), armor)
                XCTAssertEqual(try Age.decrypt(file, with: [identity]), plaintext, "size \(size) armor \(armor)")
            }
        }
    }

    func testPayloadOverheadMatchesSpec() throws {
        let identity = X25519Identity.generate()
        for size in [0, 1, 65536, 65537] {
            let file = try Age.encrypt(randomBytes(size), to: [identity.recipient], armor: false)
            let (_, offset) = try Header.parse(file)
            let chunks = max(1, (size + 65535) / 65536)
            XCTAssertEqual(file.count - offset, 16 + size + 16 * chunks, "size \(size)")
        }
    }

    func testMultipleRecipientsEachDecrypt() throws {
        let a = X25519Identity.generate(), b = X25519Identity.generate(), c = X25519Identity.generate()
        let file = try Age.encrypt(Array("hello".utf8), to: [a.recipient, b.recipient], armor: false)
        XCTAssertEqual(try Age.decrypt(file, with: [a]), Array("hello".utf8))
        XCTAssertEqual(try Age.decrypt(file, with: [c, b]), Array("hello".utf8))
        XCTAssertThrowsError(try Age.decrypt(file, with: [c])) { error in
            XCTAssertEqual(error as? AgeError, .noMatchingIdentity(stanzaTypes: ["X25519", "X25519"]))
        }
    }

    func testNoRecipientsIsRefused() {
        XCTAssertThrowsError(try Age.encrypt([1], to: [], armor: false)) { error in
            guard case .incompatibleRecipients = error as? AgeError else { return XCTFail("\(error)") }
        }
    }

    func testRecipientsWithDifferentLabelsAreRefused() {
        struct Labelled: Recipient {
            let inner: X25519Recipient
            func wrap(_ fileKey: FileKey) throws -> [Stanza] { try inner.wrap(fileKey) }
            var labels: Set<String> { ["postquantum"] }
        }
        let a = X25519Identity.generate(), b = X25519Identity.generate()
        XCTAssertThrowsError(try Age.encrypt([1], to: [a.recipient, Labelled(inner: b.recipient)], armor: false)) { error in
            guard case .incompatibleRecipients = error as? AgeError else { return XCTFail("\(error)") }
        }
        XCTAssertNoThrow(try Age.encrypt([1], to: [Labelled(inner: a.recipient), Labelled(inner: b.recipient)], armor: false))
    }

    func testAgeBinaryDecryptsOurFiles() throws {
        let dir = try TempDirectory("age-rt")
        defer { dir.remove() }
        let identity = X25519Identity.generate()
        let keyFile = try dir.write("key.txt", Array((identity.string + "\n").utf8))
        for size in [0, 1, 65535, 65536, 65537, 3 * 1024 * 1024 + 5] {
            let plaintext = randomBytes(size)
            for armor in [false, true] {
                let file = try dir.write("f.age", try Age.encrypt(plaintext, to: [identity.recipient], armor: armor))
                let result = try Run.process("age", ["-d", "-i", keyFile.path, file.path])
                XCTAssertEqual(result.status, 0, "\(result)")
                XCTAssertEqual(result.stdout, plaintext, "size \(size) armor \(armor)")
            }
        }
    }

    func testWeDecryptAgeBinaryFiles() throws {
        let dir = try TempDirectory("age-rt")
        defer { dir.remove() }
        let keygen = try Run.process("age-keygen", [])
        XCTAssertEqual(keygen.status, 0)
        let identities = try AgeKeys.parseIdentities(fileContents: keygen.out)
        let recipientLine = keygen.err.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        XCTAssertEqual((identities.first as? X25519Identity)?.recipient.string, recipientLine)
        for size in [0, 1, 65535, 65536, 65537, 3 * 1024 * 1024 + 5] {
            let plaintext = randomBytes(size)
            let input = try dir.write("p", plaintext)
            for armor in [false, true] {
                let result = try Run.process("age", ["-r", recipientLine] + (armor ? ["-a"] : []) + [input.path])
                XCTAssertEqual(result.status, 0, "\(result)")
                XCTAssertEqual(try Age.decrypt(result.stdout, with: identities), plaintext, "size \(size) armor \(armor)")
            }
        }
    }
}
