import XCTest
import Crypto
import TestSupport
@testable import AgeFormat

/// Known answers: the spec's example keys, BIP-173 Bech32 vectors, the CCTV `x25519` header
/// (transcribed: identity, stanza, MAC, file key "YELLOW SUBMARINE"), and STREAM payloads
/// computed by an independent implementation (Vectors/stream-kat.txt, Python `cryptography`).
final class KnownAnswerTests: XCTestCase {
    // MARK: Bech32 (BIP-173)

    func checksumValid(_ s: String) -> Bool {
        let lower = Array(s.lowercased().utf8)
        guard let sep = lower.lastIndex(of: UInt8(ascii: "1")) else { return false }
        let values = lower[(sep + 1)...].map { c -> UInt8 in c < 128 ? UInt8(bitPattern: Bech32.charsetIndex[Int(c)]) : 0xFF }
        return !values.contains(0xFF) && Bech32.polymod(Bech32.hrpExpand(Array(lower[..<sep])) + values) == 1
    }

    func testBIP173ValidChecksums() throws {
        for s in ["A12UEL5L", "a12uel5l",
                  "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
                  "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
                  "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w", "?1ezyfcl"] {
            XCTAssertTrue(checksumValid(s), s)
        }
        // Byte-aligned ones decode fully.
        XCTAssertEqual(try Bech32.decode("A12UEL5L").hrp, "a")
        XCTAssertEqual(try Bech32.decode("A12UEL5L").data, [])
        XCTAssertEqual(Bech32.encode(hrp: "a", data: []), "a12uel5l")
        XCTAssertEqual(Bech32.encode(hrp: "A", data: []), "A12UEL5L")
    }

    func testBIP173InvalidStrings() {
        for s in ["\u{20}1nwldj5", "\u{7F}1axkwrx", "\u{80}1eym55h", "pzry9x0s0muk", "1pzry9x0s0muk", "x1b4n0q5v",
                  "li1dgmt3", "de1lg7wt\u{FF}", "A1G7SGD8", "10a06t8", "1qzzfhee", "A12uEL5L"] {
            XCTAssertThrowsError(try Bech32.decode(s), s.debugDescription) { error in
                guard case .invalidKey = error as? AgeError else { return XCTFail("\(error)") }
            }
        }
    }

    func testBech32RejectsBadPadding() {
        // "qq" + checksum: 10 bits → one byte with 2 zero padding bits is fine; "qqq" leaves 7 bits.
        let threeGroups = Bech32.encode(hrp: "age", data: [0, 0])  // 16 bits → 4 groups (4 pad bits)
        XCTAssertNoThrow(try Bech32.decode(threeGroups))
        // Build a string whose data groups leave a non-zero padding remainder.
        let values: [UInt8] = [0, 0, 0, 1]  // 20 bits: 16 used, last 4 padding = 0001
        let hrp = Array("age".utf8)
        let mod = Bech32.polymod(Bech32.hrpExpand(hrp) + values + [0, 0, 0, 0, 0, 0]) ^ 1
        let checksum = (0..<6).map { UInt8((mod >> UInt32(5 * (5 - $0))) & 31) }
        let s = "age1" + String(decoding: (values + checksum).map { Bech32.charset[Int($0)] }, as: UTF8.self)
        XCTAssertThrowsError(try Bech32.decode(s)) { XCTAssertEqual($0 as? AgeError, .invalidKey("bech32 data has invalid padding")) }
    }

    // MARK: age keys

    func testSpecExampleKeys() throws {
        let identity = try X25519Identity(string: "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX")
        XCTAssertEqual(identity.recipient.string, "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj")
        XCTAssertEqual(identity.string, "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX")
        let recipient = try X25519Recipient(string: "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj")
        XCTAssertEqual(recipient, identity.recipient)
        XCTAssertEqual(try AgeKeys.parseRecipient(recipient.string) as? X25519Recipient, recipient)
    }

    func testGeneratedKeysRoundTripTheirStrings() throws {
        let identity = X25519Identity.generate()
        XCTAssertTrue(identity.string.hasPrefix("AGE-SECRET-KEY-1"))
        XCTAssertEqual(identity.string, identity.string.uppercased())
        XCTAssertEqual(try X25519Identity(string: identity.string).recipient, identity.recipient)
        XCTAssertTrue(identity.recipient.string.hasPrefix("age1"))
        XCTAssertEqual(try X25519Recipient(string: identity.recipient.string), identity.recipient)
    }

    func testInvalidKeyStrings() {
        let good = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"
        for s in [String(good.dropLast()) + "x", "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwJ",
                  Bech32.encode(hrp: "age", data: [UInt8](repeating: 1, count: 31)), Bech32.encode(hrp: "agf", data: [UInt8](repeating: 1, count: 32))] {
            XCTAssertThrowsError(try X25519Recipient(string: s), s) { guard case .invalidKey = $0 as? AgeError else { return XCTFail("\($0)") } }
        }
        XCTAssertThrowsError(try X25519Identity(string: good)) { guard case .invalidKey = $0 as? AgeError else { return XCTFail("\($0)") } }
        XCTAssertThrowsError(try AgeKeys.parseRecipient("AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX")) { error in
            XCTAssertFalse("\(error)".contains("GFPYYSJZ"), "a secret key must not be echoed")
        }
        XCTAssertThrowsError(try AgeKeys.parseRecipient("age1yubikey1qwerty")) { guard case .invalidKey = $0 as? AgeError else { return XCTFail("\($0)") } }
    }

    func testIdentityFileParsing() throws {
        let a = X25519Identity.generate(), b = X25519Identity.generate()
        let text = "# created: today\n# public key: \(a.recipient)\n\(a.string)\n\n   \n# another\r\n\(b.string)\r\n"
        let ids = try AgeKeys.parseIdentities(fileContents: text)
        XCTAssertEqual(ids.compactMap { ($0 as? X25519Identity)?.recipient }, [a.recipient, b.recipient])
        XCTAssertThrowsError(try AgeKeys.parseIdentities(fileContents: "# only a comment\n\n")) {
            XCTAssertEqual($0 as? AgeError, .invalidKey("identity file has no identities"))
        }
        XCTAssertThrowsError(try AgeKeys.parseIdentities(fileContents: "\(a.string)\ngarbage\n")) { error in
            XCTAssertEqual(error as? AgeError, .invalidKey("identity file line 2: an identity line is not AGE-SECRET-KEY-1… (secret keys are not echoed)"))
        }
        XCTAssertThrowsError(try AgeKeys.parseIdentities(fileContents: [0xFF, 0xFE])) {
            XCTAssertEqual($0 as? AgeError, .invalidKey("identity file is not valid UTF-8"))
        }
        let recipients = try AgeKeys.parseRecipients(fileContents: "# team\n\(a.recipient)\n\n\(b.recipient)\n")
        XCTAssertEqual(recipients.compactMap { $0 as? X25519Recipient }, [a.recipient, b.recipient])
    }

    // MARK: base64

    func testCanonicalUnpaddedBase64() {
        XCTAssertEqual(AgeBase64.decodeUnpadded("QUE"), [0x41, 0x41])
        XCTAssertNil(AgeBase64.decodeUnpadded("QUE="), "padding is rejected")
        XCTAssertNil(AgeBase64.decodeUnpadded("QUF"), "non-zero trailing bits are rejected")
        XCTAssertNil(AgeBase64.decodeUnpadded("QUFBQ"), "length 1 mod 4 is impossible")
        XCTAssertNil(AgeBase64.decodeUnpadded("QU\rE"))
        XCTAssertEqual(AgeBase64.decodeUnpadded(""), [])
        for n in 0..<100 {
            let bytes = randomBytes(n)
            let s = AgeBase64.encodeUnpadded(bytes)
            XCTAssertFalse(s.contains("="))
            XCTAssertEqual(AgeBase64.decodeUnpadded(s), bytes)
            XCTAssertEqual(AgeBase64.decodePadded(AgeBase64.encode(bytes, padded: true)[...]), bytes)
        }
        XCTAssertNil(AgeBase64.decodePadded(Array("QUE".utf8)[...]), "armor needs padding")
        XCTAssertNil(AgeBase64.decodePadded(Array("QUF=".utf8)[...]), "armor needs canonical bits")
        XCTAssertNil(AgeBase64.decodePadded(Array("QQ=A".utf8)[...]))
        XCTAssertNil(AgeBase64.decodePadded(Array("Q===".utf8)[...]))
    }

    // MARK: header (CCTV x25519)

    let cctvHeader = "age-encryption.org/v1\n-> X25519 TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc\nhjabGXwSLQ9c3S6Lw2i+S2Tu2fiwQHHslbBN6B41FLE\n--- WyJp9F/9FOZh7gJdheq2WIJcwHgYc8NIVh3ddwhrcNg\n"

    func testCCTVX25519HeaderKnownAnswer() throws {
        let bytes = Array(cctvHeader.utf8)
        let (header, offset) = try Header.parse(bytes + [1, 2, 3])
        XCTAssertEqual(offset, bytes.count)
        XCTAssertEqual(header.stanzas.count, 1)
        XCTAssertEqual(header.stanzas[0].type, "X25519")
        let identity = try X25519Identity(string: "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0")
        let fileKey = try XCTUnwrap(try identity.unwrap(header.stanzas))
        XCTAssertEqual(fileKey.bytes, Array("YELLOW SUBMARINE".utf8))
        XCTAssertTrue(header.verifyMAC(fileKey: fileKey))
        XCTAssertFalse(header.verifyMAC(fileKey: try FileKey(bytes: Array("YELLOW SUBMARINF".utf8))))
        // Re-encoding the parsed header reproduces it byte for byte (MAC included).
        XCTAssertEqual(try Header.encode(header.stanzas, fileKey: fileKey), bytes)
        // And a different identity does not match.
        XCTAssertNil(try X25519Identity.generate().unwrap(header.stanzas))
    }

    func testStanzaBodyWrapping() throws {
        let key = try FileKey(bytes: Array("YELLOW SUBMARINE".utf8))
        for (n, lines) in [(0, 1), (47, 1), (48, 2), (96, 3), (100, 3)] {
            let bytes = try Header.encode([Stanza(type: "t", arguments: ["a"], body: randomBytes(n))], fileKey: key)
            let text = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            XCTAssertEqual(text.count, 1 + 1 + lines + 1 + 1, "body \(n)")
            let parsed = try Header.parse(bytes).header
            XCTAssertEqual(parsed.stanzas[0].body.count, n)
        }
        XCTAssertThrowsError(try Header.encode([Stanza(type: "bad type", arguments: [], body: [])], fileKey: key)) {
            guard case .malformedStanza = $0 as? AgeError else { return XCTFail("\($0)") }
        }
    }

    func testHeaderSizeLimit() {
        var bytes = Array("age-encryption.org/v1\n-> grease\n".utf8)
        let line = Array((String(repeating: "A", count: 64) + "\n").utf8)
        while bytes.count <= Header.maxHeaderBytes { bytes += line }
        XCTAssertThrowsError(try Header.parse(bytes)) {
            XCTAssertEqual($0 as? AgeError, .malformedHeader("header is larger than \(Header.maxHeaderBytes) bytes"))
        }
    }

    // MARK: STREAM (independent implementation)

    func testStreamKnownAnswers() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/stream-kat.txt")
        let lines = try String(contentsOf: path, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        XCTAssertEqual(lines.count, 7)
        let fileKey = try FileKey(bytes: Array("YELLOW SUBMARINE".utf8))
        let nonce = Array(0..<16).map(UInt8.init)
        for line in lines {
            let parts = line.split(separator: " ")
            let n = Int(parts[0])!
            let plaintext = (0..<n).map { UInt8($0 % 251) }
            let sink = BytesSink()
            let writer = STREAMWriter(key: STREAM.payloadKey(fileKey: fileKey, nonce: nonce), sink: sink)
            try plaintext.withUnsafeBytes { try writer.write($0) }
            try writer.finish()
            XCTAssertEqual(SHA256.hash(data: sink.bytes).map { String(format: "%02x", $0) }.joined(), String(parts[1]), "length \(n)")
            XCTAssertEqual(Array(sink.bytes.prefix(32)), hex(String(parts[2])), "length \(n)")
            // And it decrypts back.
            let opened = BytesSink()
            try STREAMPipeline.open(from: BytesSource(sink.bytes), cipher: ChunkCipher(key: STREAM.payloadKey(fileKey: fileKey, nonce: nonce)),
                                    to: opened, parallelism: .serial)
            XCTAssertEqual(opened.bytes, plaintext)
        }
    }
}
