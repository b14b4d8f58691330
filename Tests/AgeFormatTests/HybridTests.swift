import XCTest
@testable import AgeFormat

final class HybridTests: XCTestCase {
    /// The spec's example identity, recipient and stanza (Vectors/pq-scrypt/spec-example.txt).
    struct SpecExample {
        let identity: String, recipient: String, enc: String, body: String
        init() throws {
            let text = try String(contentsOf: PQScryptVector.directory.appendingPathComponent("spec-example.txt"), encoding: .utf8)
            let lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
            (identity, recipient, enc, body) = (lines[0], lines[1], lines[2], lines[3])
        }
    }

    /// The CCTV suite's hybrid test identity and the recipient it must derive to (the first
    /// 1184 bytes are ML-KEM-768's encapsulation key, the last 32 the X25519 public key).
    let cctvIdentity = "AGE-SECRET-KEY-PQ-1HZLGZUPT4ETPKDEV8HSGFDCYZ4E522W0A7PU2LHT8EH9W6YLNC3SW78XKG"

    // MARK: known answers

    /// The spec's identity derives the spec's recipient: bech32 both ways, X-Wing's SHAKE-256 seed
    /// expansion, ML-KEM-768 key generation and the X25519 half, all pinned by one string.
    func testSpecIdentityDerivesSpecRecipient() throws {
        let spec = try SpecExample()
        let identity = try MLKEM768X25519Identity(string: spec.identity)
        XCTAssertEqual(identity.recipient.string, spec.recipient)
        XCTAssertEqual(identity.string, spec.identity, "identities print in uppercase, as age-keygen does")
        XCTAssertEqual(try MLKEM768X25519Recipient(string: spec.recipient).rawRepresentation.count, 1216)
    }

    /// The spec's example stanza opens with the spec's identity. HPKE's AEAD authenticated it, so
    /// the file key below is the one the spec's author sealed (read once, pinned here).
    func testSpecStanzaOpens() throws {
        let spec = try SpecExample()
        let stanza = Stanza(type: "mlkem768x25519", arguments: [spec.enc], body: AgeBase64.decodeUnpadded(spec.body)!)
        let key = try MLKEM768X25519Identity(string: spec.identity).unwrap([stanza])
        XCTAssertEqual(key?.bytes, [0xdf, 0x56, 0xf6, 0x1c, 0x8e, 0x49, 0x66, 0x09, 0xc1, 0x8d, 0x25, 0xc1, 0x97, 0x45, 0x18, 0x03])
        XCTAssertNil(try MLKEM768X25519Identity.generate().unwrap([stanza]))
    }

    /// The hybrid_* and armor_hybrid cases of C2SP CCTV, built by an independent Python oracle
    /// (its own X-Wing combiner and HPKE key schedule over `cryptography`'s ML-KEM and X25519).
    func testCCTVStyleVectors() throws {
        let count = try PQScryptVector.check(prefix: ["hybrid", "armor_hybrid"])
        XCTAssertEqual(count, 19, "the hybrid vector set is incomplete")
    }

    // MARK: keys

    func testGenerateAndParseRoundTrip() throws {
        let identity = MLKEM768X25519Identity.generate()
        XCTAssertTrue(identity.string.hasPrefix("AGE-SECRET-KEY-PQ-1"))
        XCTAssertEqual(identity.string, identity.string.uppercased())
        let recipient = identity.recipient
        XCTAssertTrue(recipient.string.hasPrefix("age1pq1"))
        XCTAssertGreaterThan(recipient.string.count, 90, "long bech32: no 90-character limit")
        XCTAssertEqual(try MLKEM768X25519Identity(string: identity.string).recipient, recipient)
        XCTAssertEqual(try MLKEM768X25519Recipient(string: recipient.string), recipient)
        XCTAssertEqual(try MLKEM768X25519Recipient(string: recipient.string.uppercased()), recipient)
        XCTAssertNotEqual(MLKEM768X25519Identity.generate().recipient, recipient)
        XCTAssertEqual(recipient.labels, ["postquantum"])
    }

    func testNativeKeyParsingDispatchesToHybrid() throws {
        let identity = MLKEM768X25519Identity.generate()
        let parsedRecipient = try AgeKeys.parseRecipient(identity.recipient.string)
        XCTAssertEqual(parsedRecipient as? MLKEM768X25519Recipient, identity.recipient)
        let parsedIdentity = try AgeKeys.parseIdentity(identity.string)
        XCTAssertEqual((parsedIdentity as? MLKEM768X25519Identity)?.recipient, identity.recipient)
        let fromFile = try AgeKeys.parseIdentities(fileContents: "# created: now\n# public key: \(identity.recipient)\n\(identity.string)\n")
        XCTAssertEqual(fromFile.count, 1)
        XCTAssertTrue(fromFile[0] is MLKEM768X25519Identity)
    }

    /// The string with its last character changed (to another bech32 character, so only the checksum fails).
    private func typo(_ s: String) -> String {
        String(s.dropLast()) + (s.last == "q" ? "p" : "q")
    }

    func testInvalidKeyStrings() throws {
        let identity = MLKEM768X25519Identity.generate()
        let x25519 = X25519Identity.generate()
        let bad: [(String, () throws -> Void)] = [
            ("classic recipient as pq", { _ = try MLKEM768X25519Recipient(string: x25519.recipient.string) }),
            ("classic identity as pq", { _ = try MLKEM768X25519Identity(string: x25519.string) }),
            ("identity as recipient", { _ = try MLKEM768X25519Recipient(string: identity.string) }),
            ("short recipient", { _ = try MLKEM768X25519Recipient(string: Bech32.encode(hrp: "age1pq", data: [UInt8](repeating: 7, count: 1215))) }),
            ("short seed", { _ = try MLKEM768X25519Identity(string: Bech32.encode(hrp: "AGE-SECRET-KEY-PQ-", data: [UInt8](repeating: 7, count: 31))) }),
            ("typo", { _ = try MLKEM768X25519Recipient(string: self.typo(identity.recipient.string)) }),
            ("mixed case", { _ = try MLKEM768X25519Identity(string: "age-secret-key-pq-1" + identity.string.dropFirst(19)) }),
        ]
        for (what, parse) in bad {
            XCTAssertThrowsError(try parse(), what) { error in
                guard case .invalidKey? = error as? AgeError else { return XCTFail("\(what): want .invalidKey, got \(error)") }
            }
        }
    }

    // MARK: wrap / unwrap

    func testWrapWritesTheSpecStanzaShape() throws {
        let stanzas = try MLKEM768X25519Identity.generate().recipient.wrap(FileKey.random())
        XCTAssertEqual(stanzas.count, 1)
        XCTAssertEqual(stanzas[0].type, "mlkem768x25519")
        XCTAssertEqual(stanzas[0].arguments.count, 1)
        XCTAssertEqual(AgeBase64.decodeUnpadded(stanzas[0].arguments[0])?.count, 1120)
        XCTAssertEqual(stanzas[0].body.count, 32)
    }

    func testRoundTripThroughAge() throws {
        let identity = MLKEM768X25519Identity.generate()
        let other = MLKEM768X25519Identity.generate()
        for size in [0, 1, 65536, 3 * 65536 + 5] {
            for armor in [false, true] {
                let plaintext = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) }
                let file = try Age.encrypt(plaintext, to: [other.recipient, identity.recipient], armor: armor)
                XCTAssertEqual(try Age.decrypt(file, with: [identity]), plaintext, "size \(size) armor \(armor)")
                XCTAssertEqual(try Age.decrypt(file, with: [other]), plaintext)
            }
        }
    }

    // MARK: errors

    /// A classic X25519 recipient in a post-quantum file would undo the quantum safety, so the
    /// labels refuse the mix, as age does.
    func testMixingWithX25519IsRefused() {
        let pq = MLKEM768X25519Identity.generate().recipient
        let classic = X25519Identity.generate().recipient
        for recipients: [any Recipient] in [[pq, classic], [classic, pq]] {
            XCTAssertThrowsError(try Age.encrypt([1], to: recipients, armor: false)) { error in
                guard case .incompatibleRecipients? = error as? AgeError else { return XCTFail("want .incompatibleRecipients, got \(error)") }
            }
        }
    }

    func testWrongKeyIsNoMatch() throws {
        let file = try Age.encrypt([1, 2], to: [MLKEM768X25519Identity.generate().recipient], armor: false)
        XCTAssertThrowsError(try Age.decrypt(file, with: [MLKEM768X25519Identity.generate(), X25519Identity.generate()])) { error in
            XCTAssertEqual(error as? AgeError, .noMatchingIdentity(stanzaTypes: ["mlkem768x25519"]))
        }
    }

    func testCorruptedStanzas() throws {
        let identity = MLKEM768X25519Identity.generate()
        let good = try identity.recipient.wrap(FileKey.random())[0]
        let enc = AgeBase64.decodeUnpadded(good.arguments[0])!
        func with(_ change: (inout Stanza) -> Void) -> Stanza { var s = good; change(&s); return s }
        func flipped(_ bytes: [UInt8], at i: Int) -> [UInt8] { var b = bytes; b[i] ^= 0x01; return b }

        // Structural faults abort the file.
        let malformed: [(String, Stanza)] = [
            ("extra argument", with { $0.arguments.append("x") }),
            ("no argument", with { $0.arguments = [] }),
            ("enc 1119 bytes", with { $0.arguments = [AgeBase64.encodeUnpadded(enc.dropLast())] }),
            ("enc 1121 bytes", with { $0.arguments = [AgeBase64.encodeUnpadded(enc + [0])] }),
            ("enc not base64", with { $0.arguments = [String(repeating: "!", count: 1496)] }),
            ("body 33 bytes", with { $0.body.append(0) }),
            ("body 16 bytes", with { $0.body = Array($0.body.prefix(16)) }),
            ("low-order X25519 share", with { $0.arguments = [AgeBase64.encodeUnpadded(enc.prefix(1088) + [UInt8](repeating: 0, count: 32))] }),
        ]
        for (what, stanza) in malformed {
            XCTAssertThrowsError(try identity.unwrap([stanza]), what) { error in
                guard case .malformedStanza? = error as? AgeError else { return XCTFail("\(what): want .malformedStanza, got \(error)") }
            }
        }
        // Cryptographic faults are "not mine": another identity may still open the file.
        let notMine: [(String, Stanza)] = [
            ("ML-KEM ciphertext corrupted", with { $0.arguments = [AgeBase64.encodeUnpadded(flipped(enc, at: 100))] }),
            ("X25519 share corrupted", with { $0.arguments = [AgeBase64.encodeUnpadded(flipped(enc, at: 1100))] }),
            ("body corrupted", with { $0.body = flipped($0.body, at: 3) }),
            ("tag corrupted", with { $0.body = flipped($0.body, at: 31) }),
        ]
        for (what, stanza) in notMine {
            XCTAssertNil(try identity.unwrap([stanza]), what)
        }
        // Other types, including the wrong case, are ignored.
        XCTAssertNil(try identity.unwrap([with { $0.type = "MLKEM768X25519" }]))
        XCTAssertNotNil(try identity.unwrap([Stanza(type: "X25519", arguments: ["bad"], body: []), good]))
    }

    func testLowOrderCheck() {
        XCTAssertTrue(MLKEM768X25519Identity.isLowOrderX25519([UInt8](repeating: 0, count: 32)))
        let order8: [UInt8] = [0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef, 0x5b,
                               0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0xd7]
        XCTAssertTrue(MLKEM768X25519Identity.isLowOrderX25519(order8))
        XCTAssertFalse(MLKEM768X25519Identity.isLowOrderX25519(X25519Identity.generate().recipient.publicKey))
    }
}
