import XCTest
import Crypto
import TestSupport
@testable import AgeFormat

/// The C2SP CCTV age scenarios that need only X25519 (or no identity), rebuilt with TestKit and
/// checked against the outcome class CCTV records for each, plus the specific AgeError case.
/// Names match the CCTV vector names.
final class VectorScenarioTests: XCTestCase {
    /// Every scenario is run serially, with one chunk per batch on three threads (so a payload
    /// of two chunks already goes through the pool and the ordered writer), and as the CLI runs.
    static let parallelisms = [STREAMParallelism.serial, STREAMParallelism(workers: 3, batchChunks: 1), .machine]

    func check(_ name: String, _ file: [UInt8], armored: Bool? = false, expect: Outcome, payload: [UInt8]? = nil,
               error expectedError: AgeError? = nil, identities: [any Identity]? = nil,
               file line: UInt = #line) {
        for parallelism in Self.parallelisms {
            let label = "\(name) (\(parallelism.workers) workers, \(parallelism.batchChunks) chunks a batch)"
            let result = identities.map { decryptClassified(file, armored: armored, identities: $0, parallelism: parallelism) }
                ?? decryptClassified(file, armored: armored, parallelism: parallelism)
            XCTAssertEqual(result.outcome, expect, "\(label): \(String(describing: result.error))", line: line)
            if let payload {
                XCTAssertEqual(result.released.count, payload.count, "\(label): released bytes", line: line)
                XCTAssertTrue(result.released == payload, "\(label): released plaintext", line: line)
            }
            if let expectedError { XCTAssertEqual(result.error, expectedError, label, line: line) }
        }
    }

    func isHeaderError(_ e: AgeError?) -> Bool {
        if case .malformedHeader = e { return true }
        return false
    }

    // MARK: - header and MAC

    func testVersionAndHeaderLines() {
        check("empty", [], expect: .headerFailure)
        var f = TestFile(); f.version("v1234"); f.x25519Stanza(); f.hmac(); f.payload("age")
        check("version_unsupported", f.buf, expect: .headerFailure)
        f = TestFile(); f.standardHeader(); f.payload("age")
        let crlf = Array(String(decoding: f.buf.prefix(while: { _ in true }), as: UTF8.self).utf8)
        var withCR: [UInt8] = []
        let headerEnd = f.buf.count - (16 + 3 + 16)
        for (i, b) in crlf.enumerated() { if b == 0x0A, i < headerEnd { withCR.append(0x0D) }; withCR.append(b) }
        check("header_crlf", withCR, expect: .headerFailure)
    }

    func testHMACLine() {
        var base = TestFile(); base.version(); base.x25519Stanza()
        let mac = AgeBase64.encodeUnpadded(base.macValue)
        let variants: [(String, String, Outcome)] = [
            ("hmac_bad", "--- " + AgeBase64.encodeUnpadded(randomBytes(32)), .hmacFailure),
            ("hmac_extra_space", "---  " + mac, .headerFailure),
            ("hmac_garbage", "--- " + mac + "AAA", .headerFailure),
            ("hmac_missing", "---", .headerFailure),
            ("hmac_no_space", "---" + mac, .headerFailure),
            ("hmac_not_canonical", "--- " + notCanonical(mac), .headerFailure),
            ("hmac_trailing_space", "--- " + mac + " ", .headerFailure),
            ("hmac_truncated", "--- " + String(mac.dropLast()), .headerFailure),
        ]
        for (name, line, outcome) in variants {
            var f = base; f.text(line); f.payload("age")
            check(name, f.buf, expect: outcome, error: outcome == .hmacFailure ? .headerMACMismatch : nil)
        }
    }

    // MARK: - stanza grammar

    func testStanzaGrammar() {
        func file(_ build: (inout TestFile) -> Void) -> [UInt8] {
            var f = TestFile(); f.version(); build(&f); f.hmac(); f.payload("age"); return f.buf
        }
        check("stanza_bad_start", file { $0.x25519Stanza(); $0.text(" -> grease") }, expect: .headerFailure)
        check("stanza_base64_padding", file { $0.args("grease"); $0.text("QUE="); $0.x25519Stanza() }, expect: .headerFailure)
        check("stanza_empty_argument", file { $0.args("grease", "", "x"); $0.body([]); $0.x25519Stanza() }, expect: .headerFailure)
        check("stanza_empty_body", file { $0.args("empty"); $0.body([]); $0.x25519Stanza() }, expect: .success, payload: Array("age".utf8))
        check("stanza_empty_last_line", file { $0.args("grease"); $0.body(randomBytes(96)); $0.x25519Stanza() }, expect: .success)
        check("stanza_invalid_character", file { $0.args("grease", "\u{7f}"); $0.body([]); $0.x25519Stanza() }, expect: .headerFailure)
        check("stanza_long_line", file { $0.args("grease"); $0.text(AgeBase64.encodeUnpadded(randomBytes(51))); $0.x25519Stanza() }, expect: .headerFailure)
        check("stanza_missing_body", file { $0.x25519Stanza(); $0.args("grease") }, expect: .headerFailure)
        check("stanza_missing_final_line", file { $0.x25519Stanza(); $0.args("grease"); $0.text(AgeBase64.encodeUnpadded(randomBytes(48))) }, expect: .headerFailure)
        check("stanza_multiple_short_lines", file { $0.args("grease"); $0.text("AAAA"); $0.text("AAAA"); $0.x25519Stanza() }, expect: .headerFailure)
        check("stanza_no_arguments", file { $0.text("->"); $0.body([]); $0.x25519Stanza() }, expect: .headerFailure)
        check("stanza_no_arguments_space", file { $0.text("-> "); $0.body([]); $0.x25519Stanza() }, expect: .headerFailure)
        check("stanza_not_canonical", file { $0.args("grease"); $0.text(notCanonical(AgeBase64.encodeUnpadded([0x41, 0x41]))); $0.x25519Stanza() }, expect: .headerFailure)
        check("stanza_spurious_cr", file { $0.args("grease"); $0.text("AAAA\r"); $0.x25519Stanza() }, expect: .headerFailure)
        check("stanza_valid_characters", file { $0.args("!\"#$%&'", "()*+,-./0123456789:;<=>?@", "ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"); $0.body([]); $0.x25519Stanza() }, expect: .success)
        check("no_stanzas", file { _ in }, expect: .headerFailure)
    }

    func testHeaderErrorsAreMalformedHeader() {
        var f = TestFile(); f.version(); f.x25519Stanza(); f.text("garbage"); f.hmac(); f.payload("age")
        let result = decryptClassified(f.buf, armored: false)
        XCTAssertTrue(isHeaderError(result.error), "\(String(describing: result.error))")
    }

    // MARK: - X25519

    func testX25519() {
        func file(_ build: (inout TestFile) -> Void) -> [UInt8] {
            var f = TestFile(); f.version(); build(&f); f.hmac(); f.payload("age"); return f.buf
        }
        check("x25519", file { $0.x25519Stanza() }, expect: .success, payload: Array("age".utf8))
        var bad = TestFile(); bad.version(); bad.x25519Stanza()
        let body = bad.unreadLine(); var bodyBytes = AgeBase64.decodeUnpadded(body)!; bodyBytes[31] ^= 1
        bad.body(bodyBytes); bad.hmac(); bad.payload("age")
        check("x25519_bad_tag", bad.buf, expect: .noMatch, error: .noMatchingIdentity(stanzaTypes: ["X25519"]))

        var extra = TestFile(); extra.version(); extra.x25519Stanza()
        let b = extra.unreadLine(); let a = extra.unreadLine(); extra.text(a + " extra"); extra.text(b); extra.hmac(); extra.payload("age")
        check("x25519_extra_argument", extra.buf, expect: .headerFailure)
        if case .malformedStanza = decryptClassified(extra.buf, armored: false).error {} else { XCTFail("want .malformedStanza") }

        check("x25519_grease", file { $0.args("grease"); $0.body([]); $0.x25519Stanza(); $0.args("grease", "x"); $0.body(randomBytes(10)) }, expect: .success)
        // Shares that force the all-zero shared secret: the identity (0) and a low-order point.
        check("x25519_identity", file { $0.x25519Stanza(share: [UInt8](repeating: 0, count: 32)) }, expect: .headerFailure,
              error: .malformedStanza("X25519 share is a low-order point (all-zero shared secret)"))
        let lowOrder = hex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7")
        check("x25519_low_order", file { $0.x25519Stanza(share: lowOrder) }, expect: .headerFailure,
              error: .malformedStanza("X25519 share is a low-order point (all-zero shared secret)"))

        var long = TestFile(); long.fileKey = Array("YELLOW SUBMARINE!".utf8); long.version(); long.x25519Stanza()
        long.fileKey = Array("YELLOW SUBMARINE".utf8); long.hmac(); long.payload("age")
        check("x25519_long_file_key", long.buf, expect: .headerFailure)
        let share = TestFile.x25519(randomBytes(32), TestFile.basepoint)
        check("x25519_long_share", file { $0.x25519Stanza(share: share, argument: AgeBase64.encodeUnpadded(share + [0])) }, expect: .headerFailure)
        check("x25519_short_share", file { $0.x25519Stanza(share: share, argument: AgeBase64.encodeUnpadded(share.dropLast())) }, expect: .headerFailure)
        check("x25519_not_canonical_share", file { $0.x25519Stanza(share: share, argument: notCanonical(AgeBase64.encodeUnpadded(share))) }, expect: .headerFailure)
        var nc = TestFile(); nc.version(); nc.x25519Stanza(); let line = nc.unreadLine(); nc.text(notCanonical(line)); nc.hmac(); nc.payload("age")
        check("x25519_not_canonical_body", nc.buf, expect: .headerFailure)

        var lower = TestFile(); lower.version(); lower.x25519Stanza()
        let lb = lower.unreadLine(); let la = lower.unreadLine(); lower.text(la.replacingOccurrences(of: "X25519", with: "x25519")); lower.text(lb)
        lower.hmac(); lower.payload("age")
        check("x25519_lowercase", lower.buf, expect: .noMatch, error: .noMatchingIdentity(stanzaTypes: ["x25519"]))
        check("x25519_multiple_recipients", file { $0.x25519Stanza(identity: randomBytes(32)); $0.x25519Stanza() }, expect: .success)
        check("x25519_no_match", file { $0.x25519Stanza(identity: randomBytes(32)) }, expect: .noMatch)
    }

    // MARK: - STREAM

    func streamFile(_ build: (inout TestFile) -> Void) -> (file: [UInt8], payload: [UInt8]) {
        var f = TestFile(); f.fileKey = TestFile.largeFileKey; f.standardHeader(); f.nonce(TestFile.largeNonce)
        build(&f)
        return (f.buf, f.payload)
    }

    func testStreamSuccesses() {
        for (name, chunks) in [("stream_empty_payload", [[UInt8]()]), ("stream_last_chunk_full", [TestFile.chunk0]),
                               ("stream_two_chunks", [TestFile.chunk0, Array("age".utf8)]),
                               ("stream_two_chunks_full", [TestFile.chunk0, TestFile.chunk1]),
                               ("stream_three_chunks", [TestFile.chunk0, TestFile.chunk1, Array("age".utf8)])] {
            let (file, payload) = streamFile { f in
                for c in chunks.dropLast() { f.chunk(c) }
                f.finalChunk(chunks.last!)
            }
            check(name, file, expect: .success, payload: payload)
        }
    }

    func testStreamFailures() {
        let k64 = TestFile.chunk0
        func tamperLast(_ file: [UInt8]) -> [UInt8] { var f = file; f[f.count - 1] ^= 1; return f }
        check("stream_bad_tag", tamperLast(streamFile { $0.finalChunk(Array("age".utf8)) }.file), expect: .payloadFailure,
              payload: [], error: .payloadAuthenticationFailed(chunk: 0))
        check("stream_bad_tag_second_chunk", tamperLast(streamFile { $0.chunk(k64); $0.finalChunk(Array("age".utf8)) }.file),
              expect: .payloadFailure, payload: k64, error: .payloadAuthenticationFailed(chunk: 1))
        check("stream_bad_tag_second_chunk_full", tamperLast(streamFile { $0.chunk(k64); $0.finalChunk(TestFile.chunk1) }.file),
              expect: .payloadFailure, payload: k64, error: .payloadAuthenticationFailed(chunk: 1))
        check("stream_last_chunk_empty", streamFile { $0.chunk(k64); $0.finalChunk([]) }.file, expect: .payloadFailure,
              payload: k64, error: .emptyLastChunk)
        check("stream_missing_tag", streamFile { $0.finalChunk(Array("age".utf8)) }.file.dropLast(16).map { $0 },
              expect: .payloadFailure, payload: [], error: .truncated)
        check("stream_no_chunks", streamFile { _ in }.file, expect: .payloadFailure, payload: [], error: .truncated)
        check("stream_no_final", streamFile { $0.chunk(Array("age".utf8)) }.file, expect: .payloadFailure, payload: [],
              error: .payloadAuthenticationFailed(chunk: 0))
        check("stream_no_final_full", streamFile { $0.chunk(k64) }.file, expect: .payloadFailure, payload: k64, error: .truncated)
        check("stream_no_final_two_chunks", streamFile { $0.chunk(k64); $0.chunk(Array("age".utf8)) }.file,
              expect: .payloadFailure, payload: k64, error: .payloadAuthenticationFailed(chunk: 1))
        check("stream_no_final_two_chunks_full", streamFile { $0.chunk(k64); $0.chunk(TestFile.chunk1) }.file,
              expect: .payloadFailure, payload: k64 + TestFile.chunk1, error: .truncated)
        check("stream_short_chunk", streamFile { $0.finalChunk(Array("age".utf8)) }.file.dropLast(8).map { $0 },
              expect: .payloadFailure, payload: [])
        check("stream_short_second_chunk", streamFile { $0.chunk(k64); $0.finalChunk([]) }.file.dropLast(4).map { $0 },
              expect: .payloadFailure, payload: k64)
        check("stream_trailing_garbage_short", streamFile { $0.finalChunk(k64) }.file + randomBytes(12),
              expect: .payloadFailure, payload: k64, error: .trailingData)
        check("stream_trailing_garbage_long", streamFile { $0.finalChunk(k64) }.file + randomBytes(70_000),
              expect: .payloadFailure, payload: k64, error: .trailingData)
        // A short final chunk followed by garbage is one chunk that does not authenticate.
        check("short_final_then_garbage", streamFile { $0.finalChunk(Array("age".utf8)) }.file + [0x41],
              expect: .payloadFailure, payload: [], error: .payloadAuthenticationFailed(chunk: 0))
        check("stream_two_final_chunks", streamFile { $0.finalChunk(k64); $0.finalChunk(Array("age".utf8)) }.file,
              expect: .payloadFailure, payload: k64, error: .trailingData)
        check("stream_two_final_chunks_full", streamFile { $0.finalChunk(k64); $0.finalChunk(TestFile.chunk1) }.file,
              expect: .payloadFailure, payload: k64, error: .trailingData)

        var noNonce = TestFile(); noNonce.standardHeader()
        check("stream_no_nonce", noNonce.buf, expect: .headerFailure)
        var shortNonce = TestFile(); shortNonce.standardHeader(); shortNonce.buf += randomBytes(10)
        check("stream_short_nonce", shortNonce.buf, expect: .headerFailure)
    }

    /// STREAM is deterministic given file key and nonce: re-encrypting a vector's plaintext with
    /// its key and nonce must reproduce its payload byte for byte (CCTV's round-trip check).
    func testStreamWriterMatchesTestKitBytes() throws {
        let plaintext = TestFile.chunk0 + TestFile.chunk1 + Array("age".utf8)
        let (file, _) = streamFile { $0.chunk(TestFile.chunk0); $0.chunk(TestFile.chunk1); $0.finalChunk(Array("age".utf8)) }
        let (_, offset) = try Header.parse(file)
        let sink = BytesSink()
        let writer = STREAMWriter(key: STREAM.payloadKey(fileKey: try FileKey(bytes: TestFile.largeFileKey), nonce: TestFile.largeNonce), sink: sink)
        // Odd write sizes exercise the buffering across chunk boundaries.
        var rest = plaintext[...]
        for size in [1, 65534, 2, 65536, 3, 100] where !rest.isEmpty {
            try rest.prefix(size).withUnsafeBytes { try writer.write($0) }
            rest = rest.dropFirst(size)
        }
        try writer.finish()
        XCTAssertEqual(sink.bytes, Array(file[(offset + 16)...]))
    }

    // MARK: - armor

    func testArmor() {
        var f = TestFile(); f.standardHeader(); f.payload("age")
        let file = f.buf
        let armored = TestFile.armored(file)
        check("armor", armored, armored: true, expect: .success, payload: Array("age".utf8))
        check("armor_crlf", TestFile.armored(file, eol: "\r\n"), armored: true, expect: .success)
        check("armor_empty", Array("-----BEGIN AGE ENCRYPTED FILE-----\n-----END AGE ENCRYPTED FILE-----\n".utf8), armored: true, expect: .headerFailure)
        check("armor_no_eol", armored.dropLast().map { $0 }, armored: true, expect: .success)
        let ws = Array("\n\r   \t\n".utf8)
        check("armor_whitespace_outside", ws + armored + ws, armored: true, expect: .success)
        check("armor_whitespace_outside (detected)", ws + armored + ws, armored: nil, expect: .success)
        check("armor_no_match", armored, armored: true, expect: .noMatch, identities: [X25519Identity.generate()])

        let lines = String(decoding: armored, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func edit(_ change: (inout [String]) -> Void) -> [UInt8] { var l = lines; change(&l); return Array(l.joined(separator: "\n").utf8) }
        let failures: [(String, [UInt8])] = [
            ("armor_empty_line_begin", edit { $0.insert("", at: 1) }),
            ("armor_empty_line_end", edit { $0.insert("", at: $0.count - 2) }),
            ("armor_garbage_leading", Array("garbage\n".utf8) + armored),
            ("armor_garbage_trailing", armored + Array("garbage\n".utf8)),
            ("armor_headers", edit { $0.insert("Comment: hello", at: 1); $0.insert("", at: 2) }),
            ("armor_invalid_character_header", edit { $0[1] = "!" + $0[1].dropFirst() }),
            ("armor_invalid_character_payload", edit { $0[$0.count - 3] = String($0[$0.count - 3].dropLast(3)) + "!==" }),
            ("armor_lowercase", edit { $0[0] = $0[0].lowercased() }),
            ("armor_wrong_type", edit { $0[0] = "-----BEGIN AGE ENCRYPTED FILES-----" }),
            ("armor_no_end_line", edit { $0.removeLast(2) }),
            ("armor_pgp_checksum", edit { $0.insert("=AAAA", at: $0.count - 2) }),
            ("armor_whitespace_begin", edit { $0[0] += " " }),
            ("armor_whitespace_end", edit { $0[$0.count - 2] += " " }),
            ("armor_whitespace_eol", edit { $0[1] += " " }),
            ("armor_whitespace_line_start", edit { $0[1] = " " + $0[1] }),
            ("armor_whitespace_last_line", edit { $0[$0.count - 3] += " " }),
            ("armor_short_line", edit { let l = $0[1]; $0[1] = String(l.prefix(32)); $0.insert(String(l.dropFirst(32)), at: 2) }),
            ("armor_long_line", longLines(file)),
            ("armor_no_padding", TestFile.armored(file, padding: false)),
        ]
        for (name, input) in failures {
            let result = decryptClassified(input, armored: true)
            XCTAssertEqual(result.outcome, .armorFailure, "\(name): \(String(describing: result.error))")
        }
        // Padding split over two lines, and non-canonical trailing bits on the last line.
        var pad = TestFile(); pad.standardHeader(); pad.payload("age")
        var body = pad.buf
        while body.count % 3 == 0 { body.append(0) }
        check("armor_not_canonical", notCanonicalArmor(body), armored: true, expect: .armorFailure)

        // Exactly 48-byte-multiple file: a full last line followed directly by END is valid;
        // a full last line followed by an empty one is not.
        let full = fileOfLength(multipleOf: 48)
        check("armor_full_last_line", TestFile.armored(full), armored: true, expect: .success)
        var withEmpty = TestFile.armored(full); withEmpty.insert(contentsOf: [0x0A], at: withEmpty.count - 33)
        check("armor_empty_last_line", withEmpty, armored: true, expect: .armorFailure)

        // Garbage inside valid armor after the last chunk is a payload failure (trailing data).
        let g = streamFile { $0.finalChunk(TestFile.chunk0) }.file
        check("armor_garbage_encoded", TestFile.armored(g + randomBytes(20)), armored: true, expect: .payloadFailure,
              payload: TestFile.chunk0, error: .trailingData)
    }

    func testArmorWriterRoundTripsThroughArmorReader() throws {
        for size in [0, 1, 47, 48, 49, 96, 1000, 100_000] {
            let data = randomBytes(size)
            let sink = BytesSink()
            let writer = try ArmorWriter(sink: sink)
            var rest = data[...]
            while !rest.isEmpty { let n = min(rest.count, 7 + size % 13); try rest.prefix(n).withUnsafeBytes { try writer.write($0) }; rest = rest.dropFirst(n) }
            try writer.finish()
            XCTAssertEqual(sink.bytes, TestFile.armored(data), "size \(size)")
            let reader = ArmorReader(source: PeekableSource(BytesSource(sink.bytes)))
            var out = [UInt8](repeating: 0, count: size + 10)
            let n = try out.withUnsafeMutableBytes { try reader.readFull(into: $0) }
            XCTAssertEqual(Array(out[..<n]), data)
        }
    }

    // MARK: - helpers

    func notCanonical(_ s: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        let i = alphabet.firstIndex(of: s.last!)!
        return String(s.dropLast()) + String(alphabet[i + 1])
    }

    func notCanonicalArmor(_ file: [UInt8]) -> [UInt8] {
        var lines = String(decoding: TestFile.armored(file), as: UTF8.self).split(separator: "\n").map(String.init)
        let last = lines[lines.count - 2]
        let stripped = last.trimmingCharacters(in: ["="])
        lines[lines.count - 2] = notCanonical(stripped) + String(repeating: "=", count: last.count - stripped.count)
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    func longLines(_ file: [UInt8]) -> [UInt8] {
        let b64 = AgeBase64.encode(file, padded: true)
        var out = Array("-----BEGIN AGE ENCRYPTED FILE-----\n".utf8)
        var rest = b64[...]
        while !rest.isEmpty { out += rest.prefix(68) + [0x0A]; rest = rest.dropFirst(68) }
        return out + Array("-----END AGE ENCRYPTED FILE-----\n".utf8)
    }

    func fileOfLength(multipleOf m: Int) -> [UInt8] {
        for n in 1...200 {
            var f = TestFile(); f.standardHeader(); f.payload(String(repeating: "a", count: n))
            if f.buf.count % m == 0 { return f.buf }
        }
        fatalError("no length found")
    }
}

extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        var s = Substring(self)
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
