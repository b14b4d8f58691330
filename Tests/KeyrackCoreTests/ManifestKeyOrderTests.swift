import XCTest
@testable import KeyrackCore
import KeyrackYAML
import KeyrackNames

/// `keys(env:key:)` answers in slug order however the manifest's keys were written, and the
/// decoder's shortcut for keys written in that order (kept as they come, the table built once)
/// neither changes that order, nor misses a duplicate, nor outlives a change to `keys`.
final class ManifestKeyOrderTests: XCTestCase {
    private let owner = OwnerRecord(name: try! OwnerName("order"), via: .age, pubkey: "age1w90uq7fqyw3sa4vyzqgwps5ga6h28874sheew2unxd8try846qdqtmqhxt")

    private func entry(_ slug: String) throws -> KeyEntry {
        let slug = try Slug(validating: slug)
        return KeyEntry(slug: slug, vault: .osSecure, exid: nil, mech: .permanentViaReplica, maxDuration: nil,
                        createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z")
    }

    /// A manifest whose `keys:` holds `slugs` in this order (keyrack's own shape, by hand).
    private func text(_ slugs: [String]) -> [UInt8] {
        var out = "version: 1\nowner:\n  name: order\n  via: age\n  pubkey: age1w90uq7fqyw3sa4vyzqgwps5ga6h28874sheew2unxd8try846qdqtmqhxt\nkeys:\n"
        for slug in slugs {
            let parts = slug.split(separator: ".", maxSplits: 2)
            out += "  \(slug):\n    slug: \(slug)\n    env: \(parts[1])\n    org: \(parts[0])\n    vault: os.secure\n    exid: null\n"
            out += "    mech: PERMANENT_VIA_REPLICA\n    createdAt: \"2026-01-01T00:00:00Z\"\n    updatedAt: \"2026-01-01T00:00:00Z\"\n"
        }
        return Array(out.utf8)
    }

    private let paths: [YAMLReader.Path] = [.libyaml, .subsetOnly]

    func testKeysComeInSlugOrderWhetherWrittenInOrderOrNot() throws {
        // `a.b.C` < `a.b.C.D` < `a.b.C_` < `a.b.c`: a prefix first, then byte order.
        let sorted = ["a.all.X", "a.b.C", "a.b.C.D", "a.b.C_", "a.b.c", "a.bb.A", "b.b.A"]
        for slugs in [sorted, sorted.reversed(), ["a.b.C_", "a.b.C", "b.b.A", "a.all.X", "a.b.c", "a.bb.A", "a.b.C.D"]] {
            for path in paths {
                let m = try HostManifest.decode(yaml: text(slugs), path: path)
                XCTAssertEqual(m.keys(env: nil).map(\.slug.description), sorted, "\(slugs) \(path)")
                XCTAssertEqual(m.keys(env: "b").map(\.slug.description), ["a.all.X", "a.b.C", "a.b.C.D", "a.b.C_", "a.b.c", "b.b.A"])
                XCTAssertEqual(m.keys(env: "b", key: "A").map(\.slug.description), ["b.b.A"])
                XCTAssertEqual(m.keys(env: nil, key: "a.bb.A").map(\.slug.description), ["a.bb.A"])
                XCTAssertEqual(Set(m.keys.keys.map(\.description)), Set(sorted))
            }
        }
    }

    func testAKeyAddedOrRemovedAfterDecodingIsAnsweredInItsPlace() throws {
        for path in paths {
            var m = try HostManifest.decode(yaml: text(["a.b.A", "a.b.C"]), path: path)
            XCTAssertEqual(m.keys(env: "b").map(\.slug.description), ["a.b.A", "a.b.C"])
            m.keys[try Slug(validating: "a.b.B")] = try entry("a.b.B")
            XCTAssertEqual(m.keys(env: "b").map(\.slug.description), ["a.b.A", "a.b.B", "a.b.C"])
            m.keys.removeValue(forKey: try Slug(validating: "a.b.A"))
            XCTAssertEqual(m.keys(env: "b").map(\.slug.description), ["a.b.B", "a.b.C"])
            var replaced = try HostManifest.decode(yaml: text(["a.b.A", "a.b.C"]), path: path)
            replaced.keys = [try Slug(validating: "z.b.Z"): try entry("z.b.Z")]
            XCTAssertEqual(replaced.keys(env: "b").map(\.slug.description), ["z.b.Z"])
        }
    }

    func testAKeyWrittenTwiceAfterKeysInOrderIsRefusedOnItsLine() throws {
        // The duplicate is the fourth entry (line 7 + 3 * 9); the first three are in order.
        for path: YAMLReader.Path in [.libyaml, .subsetFirst] {
            XCTAssertThrowsError(try HostManifest.decode(yaml: text(["a.b.A", "a.b.B", "a.b.C", "a.b.B"]), path: path)) { error in
                XCTAssertTrue("\(error)".hasPrefix("line 34: duplicate key 'a.b.B'"), "\(path): \(error)")
            }
            XCTAssertThrowsError(try HostManifest.decode(yaml: text(["a.b.A", "a.b.A"]), path: path)) { error in
                XCTAssertTrue("\(error)".hasPrefix("line 16: duplicate key 'a.b.A'"), "\(error)")
            }
        }
    }

    func testADecodedManifestEqualsTheSameManifestMadeInMemory() throws {
        var made = HostManifest(owner: owner)
        for slug in ["a.b.A", "a.b.C"] { made.keys[try Slug(validating: slug)] = try entry(slug) }
        XCTAssertEqual(try HostManifest.decode(yaml: text(["a.b.A", "a.b.C"])), made)
    }

    func testIsDescriptionIsStringEquality() throws {
        let slug = try Slug(validating: "acme.prod.KEY.X")
        for text in ["acme.prod.KEY.X", "acme.prod.KEY.", "acme.prod.KEY.XY", "acme.prodKEY..X", "acme.prod.\u{212A}EY.X", "", "acme.prod.KEY.x",
                     "acme.prod.KEY.X\u{301}", "ACME.prod.KEY.X"] {
            XCTAssertEqual(slug.isDescription(text), slug.description == text, text)
        }
        XCTAssertTrue(slug.isDescription("acme.prod.\u{212A}EY.X"), "String equality equates a Kelvin sign with K")
    }
}
