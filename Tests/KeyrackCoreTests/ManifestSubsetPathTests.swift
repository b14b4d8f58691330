import XCTest
@testable import KeyrackCore
import KeyrackYAML
import KeyrackNames

/// `HostManifest.decode` reads what keyrack wrote without libyaml (YAMLSubsetScanner) and gives
/// every other document to libyaml. The subset reader must never accept a document and read it
/// otherwise than libyaml (the same events, the same manifest), and it must take what keyrack
/// writes, or the speed of `unlock` (issue 32) silently goes.
final class ManifestSubsetPathTests: XCTestCase {
    /// Manifests as keyrack writes them: every section, lists, quoted and `!!binary` values,
    /// non-ASCII text, long values, the bench's shape.
    private func written() throws -> [(what: String, text: [UInt8])] {
        var out: [(String, [UInt8])] = [("every section", Array(try ManifestDamage.base().utf8))]
        let bench = try benchShapeManifest(owner: "scale", keys: 50)
        let owner = bench.owner
        out.append(("the bench's shape", try bench.encodeYAML()))
        var varied = bench
        let values: [[UInt8]] = [
            Array("héllo wörld ✓ 鍵 \u{E000}".utf8), Array(String(repeating: "x", count: 20_000).utf8), Array("  spaced  #not a comment: ".utf8),
            [0xff, 0xfe, 0x00], Array(repeating: 0x80, count: 3000), [], Array("null".utf8), Array("- a".utf8), Array("{x}".utf8),
            Array("'single'".utf8), Array("123".utf8), Array("true".utf8), Array("~".utf8), Array("a: b".utf8),
        ]
        for (i, value) in values.enumerated() { varied.secrets[try Slug(validating: String(format: "bench.test.KEY_%05d", i + 1))] = value }
        let slug = try Slug(validating: "acme.prod.TOKEN")
        varied.keys[slug] = KeyEntry(slug: slug, vault: .onePassword, exid: "op://vault/item/field with spaces", mech: .permanentViaReference,
                                     maxDuration: try Duration("30m"), options: ["account": "my.1password.com"],
                                     sendTo: [Destination("api.example.com")!, Destination("h.example:8443")!],
                                     createdAt: "2026-01-15T10:00:00Z", updatedAt: "2026-01-16T10:00:00Z")
        varied.recipients = [BackupRecipient(label: try RecipientLabel("paper"), via: .age, pubkey: "age1paper", addedAt: "2026-01-15T10:00:00Z"),
                             BackupRecipient(label: try RecipientLabel("laptop"), via: .age, pubkey: "age1laptop", addedAt: "2026-01-16T10:00:00Z")]
        varied.auditSeed = Array(repeating: 9, count: 32)
        out.append(("varied values", try varied.encodeYAML()))
        var empty = HostManifest(owner: owner)
        empty.version = 1
        out.append(("no keys", try empty.encodeYAML()))
        // Runs of keys that share their org and env and keys that do not (the reader shares the
        // last slug's org and env while the next slug starts with them), every vault and
        // mechanism after another, and fields longer than the buffer libyaml's path copies
        // an entry's text into.
        var mixed = HostManifest(owner: owner)
        let slugs = ["acme.prod.A", "acme.prod.A.B", "acme.prod.B", "acme.prod2.A", "acme.test.A", "acme.test.a-b.c", "acme2.prod.A",
                     "@all.prod.A", "@all.prod.Z", "b.all.A", "b.prod.A", "zz.zz.Z"]
        for (i, text) in slugs.enumerated() {
            let slug = try Slug(validating: text)
            let vault = Vault.allCases[i % Vault.allCases.count], mech = Mechanism.allCases[(i * 7) % Mechanism.allCases.count]
            mixed.keys[slug] = KeyEntry(slug: slug, vault: vault, exid: i % 3 == 0 ? String(repeating: "e\(i)", count: 200) : nil, mech: mech,
                                        maxDuration: nil, cacert: i == 5 ? String(repeating: "/c", count: 400) : nil,
                                        createdAt: "2026-01-0\(i % 3 + 1)T00:00:00Z", updatedAt: "2026-02-0\(i % 2 + 1)T00:00:00Z")
            if vault == .osSecure { mixed.secrets[slug] = Array("v\(i)".utf8) }
        }
        out.append(("mixed orgs, envs, vaults and long fields", try mixed.encodeYAML()))
        return out
    }

    /// What the subset reader makes of `bytes`: nil when it declines; else it must agree with
    /// libyaml on every event and on the manifest (or both refuse it as a manifest).
    private func agree(_ bytes: [UInt8], _ what: String, file: StaticString = #filePath, line: UInt = #line) -> Bool? {
        let subsetEvents: [YAMLReader.Event]
        do { subsetEvents = try YAMLReader.events(bytes, path: .subsetOnly) } catch { return nil }
        guard let libyamlEvents = try? YAMLReader.events(bytes, path: .libyaml) else {
            XCTFail("\(what): the subset reader read a document libyaml refuses", file: file, line: line)
            return false
        }
        XCTAssertEqual(subsetEvents, libyamlEvents, what, file: file, line: line)
        // Lines read in one step are the events they stand for, and taken where those are.
        XCTAssertEqual(try? YAMLReader.events(bytes, path: .subsetOnly, pairs: true), subsetEvents, "\(what): pairs", file: file, line: line)
        let libyaml = Result { try HostManifest.decode(yaml: bytes, path: .libyaml) }
        switch Result(catching: { try HostManifest.decode(yaml: bytes, path: .subsetOnly) }) {
        case .success(let manifest):
            XCTAssertEqual(try? libyaml.get(), manifest, "\(what): the subset reader's manifest differs", file: file, line: line)
            return true
        case .failure(let error):
            XCTAssertTrue(error is YAMLReader.Declined, "\(what): \(error)", file: file, line: line)
            if case .success = libyaml { XCTFail("\(what): the events agree, the manifests do not", file: file, line: line) }
            return false
        }
    }

    func testWhatKeyrackWritesIsReadWithoutLibyamlAndAsLibyamlReadsIt() throws {
        for (what, text) in try written() {
            XCTAssertEqual(agree(text, what), true, "\(what) must be taken by the subset reader")
            XCTAssertEqual(try HostManifest.decode(yaml: text, path: .subsetOnly), try HostManifest.decode(yaml: text, path: .libyaml), what)
            // And as the tree decoder, which shares none of the streaming decoder's shortcuts.
            XCTAssertEqual(try HostManifest.decode(yaml: text, path: .subsetOnly), try TreeManifestReference.decode(yaml: text), what)
        }
        // A value libyaml writes with an escape (a line break, a quote, a backslash, a tab, a
        // character outside the BMP) is libyaml's to read, and reads the same.
        var m = try HostManifest.decode(yaml: try written()[1].text)
        m.secrets[try Slug(validating: "bench.test.KEY_00001")] = Array("line\none \"quoted\" \\ tab\t 🔑".utf8)
        let text = try m.encodeYAML()
        XCTAssertNil(agree(text, "escapes"))
        XCTAssertEqual(try HostManifest.decode(yaml: text), m)
    }

    /// Every damaged line of every written manifest: the subset reader declines, or agrees with
    /// libyaml; and `decode` (subset first) answers exactly what libyaml answers, refusal text
    /// and line included.
    func testEveryDamagedManifestIsDeclinedOrReadAsLibyamlReadsIt() throws {
        var taken = 0, declined = 0
        for (name, text) in try written() where text.count < 4_000 {
            var variants = ManifestDamage.damaged(String(decoding: text, as: UTF8.self)).map { ($0.what, Array($0.text.utf8)) }
            variants += bytewise(text)
            for (what, bytes) in variants {
                switch agree(bytes, "\(name), \(what)") {
                case true?: taken += 1
                case false?: break
                case nil: declined += 1
                }
                XCTAssertEqual(outcome { try HostManifest.decode(yaml: bytes) }, outcome { try HostManifest.decode(yaml: bytes, path: .libyaml) }, "\(name), \(what)")
            }
        }
        XCTAssertGreaterThan(taken, 150, "the damage must reach what the subset reader takes")
        XCTAssertGreaterThan(declined, 500, "the damage must reach what it declines")
    }

    private enum Outcome: Equatable {
        case accepted(HostManifest)
        case refused(String)
    }

    private func outcome(_ body: () throws -> HostManifest) -> Outcome {
        do { return .accepted(try body()) } catch { return .refused("\(error)") }
    }

    /// YAML's pitfalls put into every line: what libyaml reads otherwise or refuses.
    private func bytewise(_ text: [UInt8]) -> [(String, [UInt8])] {
        let inserts: [String] = ["\t", "\r", " ", "  ", " #c", "#", "\u{0}", "\u{FEFF}", "\u{85}", "\u{2028}", "\\", "\"", "'", ": ", ":",
                                 "&a ", "*a", "!!str ", "! ", "- ", "[", "{", "}", "]", ",", "---\n", "...\n", "\n", "\n\n", "%YAML 1.1\n", "?",
                                 "|", ">", "@", "`", "\u{C0}", "\u{FF}"]
        var out: [(String, [UInt8])] = []
        var starts = [0]
        for (i, b) in text.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        for (n, s) in starts.enumerated() where s < text.count {
            let lineEnd = text[s...].firstIndex(of: UInt8(ascii: "\n")) ?? text.count
            let colon = text[s..<lineEnd].firstIndex(of: UInt8(ascii: ":")) ?? lineEnd
            for insert in inserts {
                for at in Set([s, min(s + 2, lineEnd), colon, min(colon + 1, lineEnd), min(colon + 2, lineEnd), lineEnd]) {
                    var bytes = text
                    bytes.insert(contentsOf: Array(insert.utf8), at: at)
                    out.append(("\(insert.debugDescription) at line \(n + 1) byte \(at - s)", bytes))
                }
            }
            // Invalid UTF-8 in place of a byte, and the last newline gone.
            var bytes = text
            bytes[min(colon + 3, text.count - 1)] = 0xff
            out.append(("0xff in line \(n + 1)", bytes))
        }
        out.append(("no final newline", Array(text.dropLast())))
        out.append(("BOM", [0xef, 0xbb, 0xbf] + text))
        out.append(("CRLF", Array(String(decoding: text, as: UTF8.self).replacingOccurrences(of: "\n", with: "\r\n").utf8)))
        return out
    }
}
