import AgeFormat
import AgePlugin
import Foundation
import XCTest

/// Stanza framing of the plugin IPC, as in an age header: 64-column base64 lines and a short
/// final line, canonical encodings only.
final class PluginStanzaTests: XCTestCase {
    private func parse(_ text: String) throws -> PluginStanza {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let bytes = Array(text.utf8)
        XCTAssertEqual(bytes.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }, bytes.count)
        close(fds[1])
        defer { close(fds[0]) }
        return try PluginReader(fd: fds[0]).next()
    }

    func testEncodingWrapsAt64ColumnsWithAShortFinalLine() throws {
        XCTAssertEqual(String(decoding: PluginStanza("done").encoded, as: UTF8.self), "-> done\n\n")
        let exact = PluginStanza("file-key", ["0"], body: [UInt8](repeating: 0xAB, count: 48))  // 64 base64 chars
        let text = String(decoding: exact.encoded, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 4, "header, one full line, an empty final line, and the trailing newline: \(text)")
        XCTAssertEqual(lines[1].count, 64)
        XCTAssertEqual(lines[2], "")
        for n in [0, 1, 16, 47, 48, 49, 96, 200] {
            let s = PluginStanza("recipient-stanza", ["3", "X25519", "abc"], body: (0..<n).map { UInt8(truncatingIfNeeded: $0 * 7) })
            XCTAssertEqual(try parse(String(decoding: s.encoded, as: UTF8.self)), s, "\(n) bytes")
        }
    }

    func testRejectsNonCanonicalAndMalformedStanzas() {
        XCTAssertThrowsError(try parse("-> ok\nAB\n"), "stray low bits")
        XCTAssertThrowsError(try parse("-> ok\nAA==\n"), "padding is not age's base64")
        XCTAssertThrowsError(try parse("ok\n\n"), "no arrow")
        XCTAssertThrowsError(try parse("-> ok  two-spaces\n\n"), "empty argument")
        XCTAssertThrowsError(try parse("-> ok\n" + String(repeating: "A", count: 65) + "\n"), "a body line over 64 columns")
        XCTAssertThrowsError(try parse("-> ok\n"), "no body line at all")
    }

    func testKeyrackIdentityNamesTheOwnerAndNothingElse() throws {
        let id = KeyrackPluginIdentity(owner: "seaturtle")
        XCTAssertTrue(id.string.hasPrefix("AGE-PLUGIN-KEYRACK-1"), id.string)
        XCTAssertEqual(id.string, id.string.uppercased(), "age prints plugin identities upper case")
        XCTAssertEqual(try KeyrackPluginIdentity(string: id.string).owner, "seaturtle")
        XCTAssertEqual(try KeyrackPluginIdentity(string: id.string.lowercased()).owner, "seaturtle", "Bech32 is case-insensitive")
        let decoded = try Bech32.decode(id.string)
        XCTAssertEqual(decoded.data, [1] + Array("seaturtle".utf8), "a format byte and the name: no secret")
        XCTAssertThrowsError(try KeyrackPluginIdentity(string: "AGE-PLUGIN-YUBIKEY-1FESMCQYZAU7FNEG5EJX29"))
        XCTAssertThrowsError(try KeyrackPluginIdentity(string: Bech32.encode(hrp: "AGE-PLUGIN-KEYRACK-", data: [2, 0x61]).uppercased()), "unknown format")
        XCTAssertThrowsError(try KeyrackPluginIdentity(string: String(id.string.dropLast()) + "Q"), "checksum")
    }
}

/// The plugin library's parse errors: problem and remedy apart, no command of keyrack's CLI
/// (the plugin executable words `keyrack identity` itself).
final class KeyrackPluginIdentityErrorTests: XCTestCase {
    func testParseErrorsAreTypedAndNameNoCommand() {
        XCTAssertThrowsError(try KeyrackPluginIdentity(string: "not bech32")) { XCTAssertEqual($0 as? KeyrackPluginIdentity.ParseError, .malformed) }
        XCTAssertThrowsError(try KeyrackPluginIdentity(string: Bech32.encode(hrp: "AGE-PLUGIN-OTHER-", data: [1, 0x61]).uppercased())) {
            XCTAssertEqual($0 as? KeyrackPluginIdentity.ParseError, .notKeyrack)
        }
        XCTAssertThrowsError(try KeyrackPluginIdentity(string: Bech32.encode(hrp: "AGE-PLUGIN-KEYRACK-", data: [2, 0x61]).uppercased())) {
            XCTAssertEqual($0 as? KeyrackPluginIdentity.ParseError, .unknownFormat)
        }
        for e in [KeyrackPluginIdentity.ParseError.malformed, .notKeyrack, .unknownFormat] {
            XCTAssertFalse(e.problem.isEmpty)
            XCTAssertEqual(e.description, e.remedy.map { "\(e.problem): \($0)" } ?? e.problem)
            XCTAssertFalse(e.description.contains("`") || e.description.contains("--"), e.description)
        }
    }
}
