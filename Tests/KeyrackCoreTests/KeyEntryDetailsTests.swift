import XCTest
@testable import KeyrackCore
import KeyrackYAML
import KeyrackNames

/// KeyEntry keeps its less used fields in one shared immutable box (a copy is then one retain):
/// an entry must still behave as a plain value, each change its own, and equality by fields.
final class KeyEntryDetailsTests: XCTestCase {
    private func entry(_ slug: String, created: String = "2026-01-01T00:00:00Z") throws -> KeyEntry {
        KeyEntry(slug: try Slug(validating: slug), vault: .osSecure, exid: nil, mech: .permanentViaReplica, maxDuration: nil,
                 createdAt: created, updatedAt: "2026-01-01T00:00:00Z")
    }

    func testAChangeToACopyLeavesTheOriginal() throws {
        let original = try entry("a.b.C")
        var copy = original
        copy.exid = "op://v/i/f"
        copy.maxDuration = try Duration("1h")
        copy.options = ["account": "x"]
        copy.addr = "https://bao:8200"
        copy.cacert = "/ca.pem"
        copy.sendTo = [Destination("b.example")!, Destination("a.example")!]
        copy.createdAt = "2026-02-02T00:00:00Z"
        copy.updatedAt = "2026-03-03T00:00:00Z"
        XCTAssertEqual([original.exid, original.addr, original.cacert], [nil, nil, nil])
        XCTAssertNil(original.maxDuration)
        XCTAssertEqual(original.options, [:])
        XCTAssertEqual(original.sendTo, [])
        XCTAssertEqual([original.createdAt, original.updatedAt], ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"])
        XCTAssertEqual([copy.exid, copy.addr, copy.cacert], ["op://v/i/f", "https://bao:8200", "/ca.pem"])
        XCTAssertEqual(copy.maxDuration?.seconds, 3600)
        XCTAssertEqual(copy.options, ["account": "x"])
        // Set as given, as a stored field was: only the initialiser sorts and deduplicates.
        XCTAssertEqual(copy.sendTo, [Destination("b.example")!, Destination("a.example")!])
        XCTAssertEqual([copy.createdAt, copy.updatedAt], ["2026-02-02T00:00:00Z", "2026-03-03T00:00:00Z"])
        XCTAssertNotEqual(copy, original)
        copy.options["region"] = "eu"
        XCTAssertEqual(copy.options, ["account": "x", "region": "eu"])
    }

    func testEqualityIsByFieldsWhetherTheBoxIsSharedOrNot() throws {
        XCTAssertEqual(try entry("a.b.C"), try entry("a.b.C"))
        XCTAssertNotEqual(try entry("a.b.C"), try entry("a.b.D"))
        XCTAssertNotEqual(try entry("a.b.C"), try entry("a.b.C", created: "2026-01-02T00:00:00Z"))
        var other = try entry("a.b.C")
        other.vault = .osDirect
        XCTAssertNotEqual(other, try entry("a.b.C"))
    }

    func testKeysReadWithTheSameFieldsAreEachTheirOwn() throws {
        var text = "version: 1\nowner:\n  name: order\n  via: age\n  pubkey: age1w90uq7fqyw3sa4vyzqgwps5ga6h28874sheew2unxd8try846qdqtmqhxt\nkeys:\n"
        for slug in ["a.b.A", "a.b.B", "a.b.C"] {
            text += "  \(slug):\n    slug: \(slug)\n    env: b\n    org: a\n    vault: os.secure\n    exid: null\n    mech: PERMANENT_VIA_REPLICA\n"
            text += "    createdAt: \"2026-01-01T00:00:00Z\"\n    updatedAt: \"2026-01-01T00:00:00Z\"\n"
        }
        for path: YAMLReader.Path in [.libyaml, .subsetOnly] {
            var m = try HostManifest.decode(yaml: Array(text.utf8), path: path)
            let b = try Slug(validating: "a.b.B")
            m.keys[b]!.updatedAt = "2026-05-05T00:00:00Z"
            XCTAssertEqual(m.keys(env: "b").map(\.updatedAt), ["2026-01-01T00:00:00Z", "2026-05-05T00:00:00Z", "2026-01-01T00:00:00Z"])
            XCTAssertEqual(try HostManifest.decode(yaml: try m.encodeYAML(), path: path), m)
            m.keys[b]!.options["region"] = "eu"
            XCTAssertEqual(m.keys(env: "b").map(\.options), [[:], ["region": "eu"], [:]])
        }
    }
}
