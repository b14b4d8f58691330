import XCTest
@testable import KeyrackCore
import KeyrackYAML
import KeyrackNames

/// A large manifest's `keys:` is read on two threads (KeysHalf): the decoder takes the second
/// thread's half only when it arrives at the very entry that half starts at, all in slug order.
/// Whatever the seam, the manifest, or the refusal and its words, must be the one reader's.
final class ManifestKeysSplitTests: XCTestCase {
    private let header = "version: 1\nowner:\n  name: split\n  via: age\n  pubkey: age1w90uq7fqyw3sa4vyzqgwps5ga6h28874sheew2unxd8try846qdqtmqhxt\n"

    /// An entry as keyrack writes it; `extra` lines go after `vault:`.
    private func entry(_ slug: String, extra: String = "") -> String {
        let parts = slug.split(separator: ".", maxSplits: 2)
        return "  \(slug):\n    slug: \(slug)\n    env: \(parts[1])\n    org: \(parts[0])\n    vault: os.secure\n\(extra)    exid: null\n"
            + "    mech: PERMANENT_VIA_REPLICA\n    createdAt: \"2026-01-01T00:00:00Z\"\n    updatedAt: \"2026-01-01T00:00:00Z\"\n"
    }

    /// The varied manifest the seams are tried in: options, destinations, a quoted key, long
    /// values, secrets and a section after them.
    private func entries(_ n: Int) -> [String] {
        (1...n).map { i in
            let slug = String(format: "acme.test.KEY_%03d", i)
            switch i % 5 {
            case 1: return entry(slug, extra: "    options:\n      account: my.example\n      region: eu\n")
            case 2: return entry(slug, extra: "    sendTo:\n    - api.example.com\n    - \"h.example:8443\"\n")
            case 3: return entry(slug).replacingOccurrences(of: "  \(slug):\n", with: "  \"\(slug)\":\n")
            case 4: return entry(slug, extra: "    cacert: \"\(String(repeating: "/c", count: 60))\"\n")
            default: return entry(slug)
            }
        }
    }

    private func manifest(_ entries: [String], secrets: [String] = ["acme.test.KEY_001: one", "acme.test.KEY_004: \"four\""]) -> [UInt8] {
        Array((header + "keys:\n" + entries.joined() + "secrets:\n" + secrets.map { "  \($0)\n" }.joined() + "audit:\n  checkpointSeed: \(String(repeating: "A", count: 43))=\n").utf8)
    }

    /// The decode of `bytes` as a value to compare: the manifest and its key order, or the error's words.
    private func outcome(_ bytes: [UInt8], path: YAMLReader.Path = .subsetFirst, split: KeysHalf.Split) -> String {
        do {
            let (m, _, _) = try HostManifest.decodeReporting(yaml: bytes, path: path, split: split)
            return "\(m.keys(env: nil).map { "\($0.slug)|\($0.options.sorted { $0.key < $1.key })|\($0.sendTo)|\($0.cacert ?? "-")" }) \(m.secrets.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }) \(m.auditSeed ?? [])"
        } catch {
            return "refused: \(error)"
        }
    }

    /// Every line start of `bytes` from the keys on, as a seam to try.
    private func lineStarts(_ bytes: [UInt8]) -> [Int] {
        bytes.indices.filter { $0 > 0 && bytes[$0 - 1] == 0x0a }
    }

    /// At every seam the decode is the serial one, and the half is taken at every entry line
    /// but the first (where the keys start).
    func testEverySeamReadsTheManifestTheOneReaderReads() throws {
        let bytes = manifest(entries(12))
        let serial = outcome(bytes, split: .never)
        XCTAssertFalse(serial.hasPrefix("refused"), serial)
        var taken = 0
        for seam in lineStarts(bytes) {
            XCTAssertEqual(outcome(bytes, split: .near(seam)), serial, "seam at byte \(seam)")
            let (m, halfTaken, _) = try HostManifest.decodeReporting(yaml: bytes, path: .subsetOnly, split: .near(seam))
            XCTAssertEqual(m, try HostManifest.decode(yaml: bytes, path: .libyaml))
            if halfTaken { taken += 1 }
        }
        // Each line of entries 2…12 and the keys' lines before it lead to the next entry's line.
        XCTAssertGreaterThan(taken, 100)
        let always = try HostManifest.decodeReporting(yaml: bytes, path: .subsetOnly, split: .always)
        XCTAssertTrue(always.halfTaken)
        XCTAssertTrue(always.secretsTaken, "the secrets after the keys, read by the second thread")
        XCTAssertFalse(try HostManifest.decodeReporting(yaml: bytes, path: .subsetOnly, split: .never).halfTaken)
    }

    /// The bench's shape at 3 000 keys read on two threads is the manifest the one reader
    /// reads, its keys in slug order without sorting; and too small for the automatic split.
    func testALargeManifestIsReadOnTwoThreadsAsOnOne() throws {
        let written = try benchShapeManifest(owner: "split", keys: 3000)
        let bytes = try written.encodeYAML()
        XCTAssertLessThan(bytes.count, KeysHalf.minimumBytes)
        XCTAssertFalse(try HostManifest.decodeReporting(yaml: bytes, split: .large).halfTaken)
        let (two, taken, secretsTaken) = try HostManifest.decodeReporting(yaml: bytes, path: .subsetOnly, split: .always)
        XCTAssertTrue(taken)
        XCTAssertTrue(secretsTaken)
        XCTAssertEqual(two, written)
        XCTAssertEqual(two, try HostManifest.decode(yaml: bytes, split: .never))
        XCTAssertEqual(two.keys(env: nil).map(\.slug), written.keys.keys.sorted())
        XCTAssertNotNil(two.sortedKeys.entries, "in slug order as written: no sort at unlock")
    }

    /// Hostile manifests: whatever the seam, the result or the refusal (its words and line) is
    /// the one reader's.
    func testAtEverySeamAHostileManifestReadsAsOnOneThread() throws {
        let plain = entries(10)
        var cases: [(String, [UInt8])] = []
        // A double-quoted value over several lines, one of which looks like an entry of keys.
        var multiline = plain
        multiline[5] = entry("acme.test.KEY_006", extra: "    cacert: \"first\n  acme.test.KEY_0065:\n    slug: acme.test.KEY_0065\n    x\"\n")
        cases.append(("a multi-line value holding an entry's lines", manifest(multiline)))
        // The same key twice, one in each half, and twice in a row.
        cases.append(("a key in both halves", manifest(plain + [entry("acme.test.KEY_002")])))
        cases.append(("a key in both halves, in order around it", manifest(Array(plain[0...6]) + [entry("acme.test.KEY_003")] + Array(plain[7...]))))
        cases.append(("a key twice in a row", manifest(Array(plain[0...7]) + [plain[7]] + Array(plain[8...]))))
        // Refusals in the second half, and in the first.
        var badVault = plain
        badVault[8] = badVault[8].replacingOccurrences(of: "vault: os.secure", with: "vault: nowhere")
        cases.append(("a bad vault late", manifest(badVault)))
        var unknown = plain
        unknown[7] = entry("acme.test.KEY_008", extra: "    colour: red\n")
        cases.append(("an unknown field late", manifest(unknown)))
        var mismatch = plain
        mismatch[9] = mismatch[9].replacingOccurrences(of: "    slug: acme.test.KEY_010", with: "    slug: acme.test.KEY_011")
        cases.append(("a slug that is not its key, last", manifest(mismatch)))
        var early = plain
        early[1] = early[1].replacingOccurrences(of: "org: acme", with: "org: other")
        cases.append(("an org that is not the slug's, early", manifest(early)))
        // Out of order: a manifest someone edited by hand, read all the same.
        cases.append(("keys out of order", manifest(Array(plain[5...]) + Array(plain[..<5]))))
        cases.append(("one key out of order late", manifest(Array(plain[0...7]) + [plain[9], plain[8]])))
        // A section after the keys that looks like more of them, and a secret twice.
        cases.append(("an unknown section of entries", Array((String(decoding: manifest(plain), as: UTF8.self) + "more:\n" + entries(3).joined()).utf8)))
        cases.append(("a secret twice", manifest(plain, secrets: ["acme.test.KEY_001: a", "acme.test.KEY_001: b"])))
        cases.append(("a secret that is no slug", manifest(plain, secrets: ["acme.test.KEY_001: a", "acme.test: b"])))
        cases.append(("a secret that is a list", manifest(plain, secrets: ["acme.test.KEY_001: a", "acme.test.KEY_002:\n  - b"])))
        cases.append(("secrets before the keys and after", Array((header + "secrets:\n  acme.test.KEY_001: a\nkeys:\n" + plain.joined() + "secrets:\n  acme.test.KEY_002: b\n").utf8)))
        cases.append(("secrets before the keys only", Array((header + "secrets:\n  acme.test.KEY_001: a\nkeys:\n" + plain.joined() + "audit:\n  checkpointSeed: \(String(repeating: "A", count: 43))=\n").utf8)))
        cases.append(("a section between keys and secrets", Array((header + "keys:\n" + plain.joined() + "openbao:\n  addr: \"https://bao.example:8200\"\nsecrets:\n  acme.test.KEY_001: a\n").utf8)))
        cases.append(("secrets out of order", manifest(plain, secrets: ["acme.test.KEY_004: d", "acme.test.KEY_001: a", "acme.test.KEY_009: i"])))
        cases.append(("secrets of no key", manifest(plain, secrets: ["aaa.test.KEY: x", "acme.test.KEY_001: a", "acme.test.KEY_0015: y", "acme.prod.KEY_008: p", "zzz.test.K: z"])))
        cases.append(("no secrets", Array((header + "keys:\n" + plain.joined()).utf8)))
        cases.append(("a value that is no mapping late", manifest(Array(plain[0...8]) + ["  acme.test.KEY_010: text\n"])))
        cases.append(("an entry that is a list late", manifest(Array(plain[0...8]) + ["  acme.test.KEY_010:\n  - a\n  - b\n"])))

        for (what, bytes) in cases {
            let serial = outcome(bytes, split: .never)
            let subsetSerial = outcome(bytes, path: .subsetOnly, split: .never)
            for seam in lineStarts(bytes) {
                XCTAssertEqual(outcome(bytes, split: .near(seam)), serial, "\(what): seam at byte \(seam)")
                XCTAssertEqual(outcome(bytes, path: .subsetOnly, split: .near(seam)), subsetSerial, "\(what): subset only, seam at byte \(seam)")
            }
        }
        // The refusals are the ones the manifest's rules make (not the split's).
        XCTAssertEqual(outcome(cases[1].1, split: .always), "refused: line 111: duplicate key 'acme.test.KEY_002': keep one of them")
        XCTAssertTrue(outcome(cases[4].1, split: .always).hasPrefix("refused: line 92: invalid vault 'nowhere'"), outcome(cases[4].1, split: .always))
        XCTAssertEqual(outcome(cases[8].1, split: .always), outcome(manifest(plain), split: .never))
    }
}
