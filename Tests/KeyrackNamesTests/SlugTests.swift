import KeyrackNames
import XCTest

/// The one slug grammar the manifest, the daemon and `get` share: ORG.ENV.KEY with each part
/// under its NameRules rule, the key taking the rest (inner dots allowed).
final class SlugTests: XCTestCase {
    func testPartsSplitOrgEnvThenTheRest() throws {
        let slug = try XCTUnwrap(Slug(parsing: "@all.prod.aws.profile.name"))
        XCTAssertEqual([slug.org, slug.env, slug.key], ["@all", "prod", "aws.profile.name"])
        XCTAssertEqual(slug.description, "@all.prod.aws.profile.name")
        XCTAssertEqual(Slug(parsing: slug.description), slug)
    }

    func testEveryPartObeysItsRule() {
        for bad in ["GITHUB_TOKEN", "acme.sudo", "acme..KEY", ".sudo.KEY", "Acme.sudo.KEY", "acme.Sudo.KEY", "acme.sudo.KEY.",
                    "acme.sudo.A..B", "acme.sudo.9KEY", "acme.sudo.KEY }", "acme.sudo.KEY WITH SPACE", "a/b.sudo.KEY",
                    "acme.\(String(repeating: "e", count: 64)).KEY", "acme.sudo.\(String(repeating: "K", count: 129))"] {
            XCTAssertNil(Slug(parsing: bad), bad)
        }
        XCTAssertNotNil(Slug(parsing: "acme.\(String(repeating: "e", count: 63)).\(String(repeating: "K", count: 128))"))
        XCTAssertNil(Slug(org: "acme", env: "sudo", key: "a b"))
        XCTAssertEqual(Slug(org: "acme", env: "sudo", key: "_K-1.x")?.description, "acme.sudo._K-1.x")
    }

    func testAllFallbackAndOrder() throws {
        let prod = try XCTUnwrap(Slug(parsing: "acme.prod.KEY"))
        XCTAssertEqual(prod.allFallback, Slug(parsing: "acme.all.KEY"))
        XCTAssertNil(prod.allFallback?.allFallback, "the all env has no fallback of its own")
        XCTAssertEqual([prod, Slug(parsing: "acme.all.KEY")!].sorted().map(\.description), ["acme.all.KEY", "acme.prod.KEY"])
    }

    /// Slugs sort as their descriptions do (the manifest's key order, `status`, `relock`), also
    /// where one part is a prefix of another and the next byte sorts before or after the ".":
    /// the comparison no longer builds the two strings.
    func testSlugsSortAsTheirDescriptions() throws {
        var slugs: [Slug] = []
        for org in ["a", "a-b", "a_b", "ab", "a0", "@all", "b"] {
            for env in ["te", "te-st", "test", "te_st", "tf"] {
                for key in ["K", "K.A", "K-A", "K_A", "KA", "k", "K.A.B"] { slugs.append(try XCTUnwrap(Slug(org: org, env: env, key: key))) }
            }
        }
        slugs.shuffle()
        XCTAssertEqual(slugs.sorted().map(\.description), slugs.map(\.description).sorted())
        for a in slugs.prefix(40) {
            for b in slugs.suffix(40) { XCTAssertEqual(a < b, a.description < b.description, "\(a) < \(b)") }
            XCTAssertFalse(a < a)
        }
    }
}

/// `Slug(utf8:)`, the manifest and wire readers' way in from bytes, accepts exactly what
/// `Slug(parsing:)` accepts from the same text, and nothing that is not UTF-8.
final class SlugUTF8Tests: XCTestCase {
    func testBytesParseAsTheTextDoes() {
        let texts = ["acme.prod.KEY", "@all.all.KEY.WITH.DOTS", "a.b.c", "acme.prod", "acme..KEY", ".prod.KEY", "acme.prod.",
                     "Acme.prod.KEY", "acme.Prod.KEY", "acme.prod.1KEY", "acme.prod.KEY.", "acme.prod.K..EY", "", "...",
                     "acme.prod.KÉY", "org.env.\u{0}", String(repeating: "a", count: 64) + ".prod.KEY",
                     // Each part's rule on its own bytes: @all and its near misses, ends, lengths.
                     "@al.prod.KEY", "@alll.prod.KEY", "@ALL.prod.KEY", "x.@all.KEY", "-a.b.C", "a-_.b.C", "a.b-.C", "a.-b.C", "a.b._C",
                     "a.b.C-", "a.b.-C", "a.b.C.D.E", "a.b.C.D.", String(repeating: "a", count: 63) + ".prod.KEY",
                     "a." + String(repeating: "e", count: 63) + ".KEY", "a." + String(repeating: "e", count: 64) + ".KEY",
                     "a.b." + String(repeating: "K", count: 128), "a.b." + String(repeating: "K", count: 129), "a.b.\u{212A}EY"]
        for text in texts {
            let bytes = Array(text.utf8)
            XCTAssertEqual(bytes.withUnsafeBufferPointer { Slug(utf8: $0) }, Slug(parsing: text), text)
        }
        for bytes: [UInt8] in [[0x61, 0x2e, 0x62, 0x2e, 0xff], [0x61, 0xc3, 0x2e, 0x62, 0x2e, 0x43]] {
            XCTAssertNil(bytes.withUnsafeBufferPointer { Slug(utf8: $0) }, "\(bytes)")
        }
    }

    func testTheDescriptionsBytesAndCount() throws {
        let slug = try XCTUnwrap(Slug(parsing: "@all.prod.KEY.WITH.DOTS"))
        var bytes: [UInt8] = [0x21]
        slug.appendUTF8(to: &bytes)
        XCTAssertEqual(bytes, [0x21] + Array(slug.description.utf8))
        XCTAssertEqual(slug.utf8Count, slug.description.utf8.count)
    }
}
