import XCTest
@testable import AgeFormat

/// One test file of Vectors/pq-scrypt (C2SP CCTV format: `key: value` lines, a blank line, the file).
struct PQScryptVector {
    let name: String
    let expect: String
    let payloadHash: String?
    let identities: [String]
    let passphrases: [String]
    let armored: Bool
    let file: [UInt8]

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Vectors/pq-scrypt")

    /// SHA-256 of "age", the plaintext of every vector here (the generator's payload).
    static let agePayloadHash = "013f54400c82da08037759ada907a8b864e97de81c088a182062c4b5622fd2ab"

    static func load(prefix: [String]) throws -> [PQScryptVector] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { name in prefix.contains { name.hasPrefix($0) } && !name.hasSuffix(".py") }
            .sorted()
        return try names.map { try PQScryptVector(name: $0, bytes: [UInt8](Data(contentsOf: directory.appendingPathComponent($0)))) }
    }

    init(name: String, bytes: [UInt8]) throws {
        guard let split = (0..<bytes.count - 1).first(where: { bytes[$0] == 0x0A && bytes[$0 + 1] == 0x0A }) else {
            throw AgeError.malformedHeader("vector \(name) has no blank line")
        }
        var fields: [(String, String)] = []
        for line in String(decoding: bytes[..<split], as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            fields.append((String(parts[0]), String(parts[1].dropFirst())))
        }
        func all(_ key: String) -> [String] { fields.filter { $0.0 == key }.map(\.1) }
        self.name = name
        expect = all("expect").first ?? ""
        payloadHash = all("payload").first
        identities = all("identity")
        passphrases = all("passphrase")
        armored = all("armored").first == "yes"
        file = Array(bytes[(split + 2)...])
    }

    /// The identities the vector names, built with this library's parsers.
    func makeIdentities() throws -> [any Identity] {
        try identities.map { try AgeKeys.parseIdentity($0) } + passphrases.map { ScryptIdentity(passphrase: Array($0.utf8)) }
    }

    /// Decrypts the file and names the outcome as CCTV does.
    func outcome() throws -> (result: String, plaintext: [UInt8]?, error: AgeError?) {
        do {
            return ("success", try Age.decrypt(file, with: try makeIdentities()), nil)
        } catch let error as AgeError {
            switch error {
            case .noMatchingIdentity: return ("no match", nil, error)
            case .headerMACMismatch: return ("HMAC failure", nil, error)
            case .malformedArmor: return ("armor failure", nil, error)
            case .payloadAuthenticationFailed, .truncated, .trailingData, .emptyLastChunk: return ("payload failure", nil, error)
            default: return ("header failure", nil, error)
            }
        }
    }

    /// Runs every vector and fails with the vector's name on any disagreement. Returns the count.
    @discardableResult
    static func check(prefix: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        let vectors = try load(prefix: prefix)
        for v in vectors {
            let (result, plaintext, error) = try v.outcome()
            XCTAssertEqual(result, v.expect, "\(v.name): got \(result) (\(error.map { "\($0)" } ?? "no error")), want \(v.expect)", file: file, line: line)
            if v.expect == "success" {
                XCTAssertEqual(v.payloadHash, agePayloadHash, "\(v.name): unexpected payload hash in the vector", file: file, line: line)
                XCTAssertEqual(plaintext, Array("age".utf8), "\(v.name): wrong plaintext", file: file, line: line)
            }
        }
        return vectors.count
    }
}

final class ScryptTests: XCTestCase {
    let password = Array("password".utf8)

    // MARK: known answers

    /// The C2SP CCTV cases (scrypt_*, armor_scrypt), built by an independent Python oracle.
    func testCCTVStyleVectors() throws {
        let count = try PQScryptVector.check(prefix: ["scrypt", "armor_scrypt"])
        XCTAssertEqual(count, 27, "the scrypt vector set is incomplete")
    }

    /// The first CCTV scrypt vector, byte for byte (the generator replays CCTV's test randomness):
    /// salt, work factor and body are fixed, so this pins scrypt + label + ChaCha20-Poly1305.
    func testKnownAnswerStanza() throws {
        let stanza = Stanza(type: "scrypt", arguments: ["rF0/NwblUHHTpgQgRpe5CQ", "10"],
                            body: AgeBase64.decodeUnpadded("gUjEymFKMVXQEKdMMHL24oYexjE3TIC0O0zGSqJ2aUY")!)
        let key = try ScryptIdentity(passphrase: password).unwrap([stanza])
        XCTAssertEqual(key?.bytes, Array("YELLOW SUBMARINE".utf8))
        XCTAssertNil(try ScryptIdentity(passphrase: Array("Password".utf8)).unwrap([stanza]))
    }

    // MARK: wrap / unwrap

    func testWrapWritesTheSpecStanzaShape() throws {
        let recipient = ScryptRecipient(passphrase: password, workFactor: 10)
        let a = try recipient.wrap(FileKey.random()), b = try recipient.wrap(FileKey.random())
        XCTAssertEqual(a.count, 1)
        XCTAssertEqual(a[0].type, "scrypt")
        XCTAssertEqual(a[0].arguments.count, 2)
        XCTAssertEqual(AgeBase64.decodeUnpadded(a[0].arguments[0])?.count, 16)
        XCTAssertEqual(a[0].arguments[1], "10")
        XCTAssertEqual(a[0].body.count, 32)
        XCTAssertNotEqual(a[0].arguments[0], b[0].arguments[0], "a fresh salt per stanza")
        XCTAssertEqual(ScryptRecipient(passphrase: password).workFactor, 18, "age's default work factor")
    }

    func testWrapUnwrapPair() throws {
        let fileKey = FileKey.random()
        let stanzas = try ScryptRecipient(passphrase: password, workFactor: 10).wrap(fileKey)
        XCTAssertEqual(try ScryptIdentity(passphrase: password).unwrap(stanzas), fileKey)
        XCTAssertNil(try ScryptIdentity(passphrase: Array("passwore".utf8)).unwrap(stanzas))
        XCTAssertNil(try ScryptIdentity(passphrase: password).unwrap([Stanza(type: "X25519", arguments: ["x"], body: [])]),
                     "a header without scrypt is not this identity's business")
    }

    func testRoundTripThroughAge() throws {
        for size in [0, 1, 65536, 65537] {
            for armor in [false, true] {
                let plaintext = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
                let file = try Age.encrypt(plaintext, to: [ScryptRecipient(passphrase: password, workFactor: 10)], armor: armor)
                XCTAssertEqual(try Age.decrypt(file, with: [ScryptIdentity(passphrase: password)]), plaintext, "size \(size) armor \(armor)")
            }
        }
    }

    // MARK: errors

    /// age treats a wrong passphrase as "no identity matched" (CCTV `scrypt_no_match`); the stanza
    /// types in the error let the CLI say "incorrect passphrase".
    func testWrongPassphraseIsNoMatch() throws {
        let file = try Age.encrypt([1, 2, 3], to: [ScryptRecipient(passphrase: password, workFactor: 10)], armor: false)
        XCTAssertThrowsError(try Age.decrypt(file, with: [ScryptIdentity(passphrase: Array("wrong".utf8))])) { error in
            XCTAssertEqual(error as? AgeError, .noMatchingIdentity(stanzaTypes: ["scrypt"]))
        }
    }

    func testWorkFactorAboveTheLimitIsRefused() throws {
        let file = try Age.encrypt([1], to: [ScryptRecipient(passphrase: password, workFactor: 12)], armor: false)
        XCTAssertThrowsError(try Age.decrypt(file, with: [ScryptIdentity(passphrase: password, maxWorkFactor: 11)])) { error in
            guard case .scrypt(let message)? = error as? AgeError else { return XCTFail("want .scrypt, got \(error)") }
            XCTAssertTrue(message.contains("2^12") && message.contains("2^11"), message)
        }
        XCTAssertEqual(try Age.decrypt(file, with: [ScryptIdentity(passphrase: password, maxWorkFactor: 12)]), [1])
        // The default limit is age's 22: a stanza claiming 23 is refused without deriving anything.
        let stanza = Stanza(type: "scrypt", arguments: ["rF0/NwblUHHTpgQgRpe5CQ", "23"], body: [UInt8](repeating: 0, count: 32))
        XCTAssertThrowsError(try ScryptIdentity(passphrase: password).unwrap([stanza])) { error in
            guard case .scrypt? = error as? AgeError else { return XCTFail("want .scrypt, got \(error)") }
        }
    }

    func testBadWorkFactorEncodingsAreMalformed() {
        for text in ["010", "0", "+10", "-10", "0xa", "a10", "10a", " 10", "1 0", "", "１０", "99999999999999999999999"] {
            let stanza = Stanza(type: "scrypt", arguments: ["rF0/NwblUHHTpgQgRpe5CQ", text], body: [UInt8](repeating: 0, count: 32))
            XCTAssertThrowsError(try ScryptIdentity(passphrase: password).unwrap([stanza]), "'\(text)'") { error in
                switch error as? AgeError {
                case .malformedStanza?: break
                case .scrypt? where text.count > 4: break  // well-formed digits, just far too large
                default: XCTFail("'\(text)': want .malformedStanza, got \(error)")
                }
            }
        }
        XCTAssertEqual(ScryptFormat.parseLogN("18"), 18)
        XCTAssertNil(ScryptFormat.parseLogN("018"))
    }

    func testMalformedStanzas() {
        let salt = "rF0/NwblUHHTpgQgRpe5CQ", body = [UInt8](repeating: 0, count: 32)
        let cases: [(String, Stanza)] = [
            ("extra argument", Stanza(type: "scrypt", arguments: [salt, "10", "10"], body: body)),
            ("missing work factor", Stanza(type: "scrypt", arguments: [salt], body: body)),
            ("short salt", Stanza(type: "scrypt", arguments: [AgeBase64.encodeUnpadded([UInt8](repeating: 1, count: 15)), "10"], body: body)),
            ("long salt", Stanza(type: "scrypt", arguments: [AgeBase64.encodeUnpadded([UInt8](repeating: 1, count: 17)), "10"], body: body)),
            ("non-canonical salt", Stanza(type: "scrypt", arguments: ["rF0/NwblUHHTpgQgRpe5CR", "10"], body: body)),
            ("padded salt", Stanza(type: "scrypt", arguments: [salt + "==", "10"], body: body)),
            ("33-byte body", Stanza(type: "scrypt", arguments: [salt, "10"], body: body + [0])),
            ("31-byte body", Stanza(type: "scrypt", arguments: [salt, "10"], body: Array(body.dropLast()))),
        ]
        for (what, stanza) in cases {
            XCTAssertThrowsError(try ScryptIdentity(passphrase: password).unwrap([stanza]), what) { error in
                guard case .malformedStanza? = error as? AgeError else { return XCTFail("\(what): want .malformedStanza, got \(error)") }
            }
        }
    }

    func testScryptBesideAnotherStanzaIsRefused() throws {
        let fileKey = FileKey.random()
        let scrypt = try ScryptRecipient(passphrase: password, workFactor: 10).wrap(fileKey)
        let other = try X25519Identity.generate().recipient.wrap(fileKey)
        for stanzas in [scrypt + other, other + scrypt, scrypt + scrypt] {
            XCTAssertThrowsError(try ScryptIdentity(passphrase: password).unwrap(stanzas)) { error in
                guard case .malformedHeader(let why)? = error as? AgeError else { return XCTFail("want .malformedHeader, got \(error)") }
                XCTAssertTrue(why.contains("only stanza"), why)
            }
        }
    }

    /// The writer side of the same rule: the random label keeps scrypt alone in a file.
    func testScryptRecipientCannotBeMixed() throws {
        let scrypt = ScryptRecipient(passphrase: password, workFactor: 10)
        let mixes: [[any Recipient]] = [
            [scrypt, X25519Identity.generate().recipient],
            [X25519Identity.generate().recipient, scrypt],
            [scrypt, ScryptRecipient(passphrase: password, workFactor: 10)],
            [scrypt, MLKEM768X25519Identity.generate().recipient],
        ]
        for recipients in mixes {
            XCTAssertThrowsError(try Age.encrypt([1], to: recipients, armor: false)) { error in
                guard case .incompatibleRecipients? = error as? AgeError else { return XCTFail("want .incompatibleRecipients, got \(error)") }
            }
        }
        XCTAssertNotEqual(scrypt.labels, ScryptRecipient(passphrase: password).labels)
        XCTAssertEqual(scrypt.labels.count, 1)
    }
}
