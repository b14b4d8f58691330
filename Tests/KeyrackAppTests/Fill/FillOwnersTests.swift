import Foundation
import KeyrackApp
import KeyrackCore
import KeyrackNames
import KeyrackYAML
import TestSupport
import XCTest

/// `fill` in-process on a temp KEYRACK_HOME with two age owners: which owners get which keys,
/// one value asked per key some owner lacks, a second run asks nothing, and the refusals typed
/// (the CLI words their remedies).
final class FillOwnersTests: XCTestCase {
    private var dir: TempDirectory!
    private var store: HostManifestStore!
    private let bot = try! OwnerName("bot"), robo = try! OwnerName("robo")
    private var asked: [String] = []

    override func setUpWithError() throws {
        dir = try TempDirectory("keyrack-fill")
        store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
        for owner in [bot, robo] {
            _ = try OwnerInit.run(.init(owner: owner, spec: .age(AgeRecipientSpec(postQuantum: false)), viaGiven: true, directory: dir.url, userHome: dir.file("home")),
                                  store: store, interaction: .nonInteractive, note: { XCTFail("no note expected: \($0)") })
        }
    }

    override func tearDown() { dir.remove() }

    private func fill(_ owners: [OwnerName], keys: [String] = [], allowlist: RepoAllowlist?) throws -> [(slug: String, outcome: FillOwners.Outcome)] {
        let fill = FillOwners(store: store, identities: { try self.store.identities(for: $0, explicitPaths: []) },
                              value: { self.asked.append($0.description); return Array("v-\($0.key)".utf8) })
        return try fill.run(.init(env: try EnvName("test"), owners: owners, keys: keys), allowlist: allowlist)
    }

    private func secret(_ owner: OwnerName, _ slug: String) throws -> String? {
        let manifest = try store.load(owner: owner, identities: try store.identities(for: owner, explicitPaths: []))
        return manifest.secrets[try Slug(validating: slug)].map { String(decoding: $0, as: UTF8.self) }
    }

    func testEachOwnerGetsTheKeysItLacksFromOneValueAskedOnceAndASecondRunAsksNothing() throws {
        let list = RepoAllowlist(org: "acme", path: "/r/.agent/keyrack.yml", sections: ["test": ["A", "B"], "all": ["C"]])
        let set = try KeySetRequest(slug: try Slug(validating: "acme.all.A"), vault: .osSecure, exid: nil, mech: nil, maxDuration: nil, value: Array("bot-a".utf8))
        _ = try store.setKey(owner: bot, set, identities: try store.identities(for: bot, explicitPaths: []))

        let report = try fill([bot, robo], allowlist: list)
        XCTAssertEqual(report.map(\.slug), ["acme.test.A", "acme.test.B", "acme.test.C"])
        XCTAssertEqual(report.map(\.outcome), [.filled(["robo"]), .filled(["bot", "robo"]), .filled(["bot", "robo"])], "bot's ORG.all.A answers test")
        XCTAssertEqual(asked, ["acme.test.A", "acme.test.B", "acme.test.C"], "one value per key")
        XCTAssertEqual(try secret(robo, "acme.test.A"), "v-A")
        XCTAssertNil(try secret(bot, "acme.test.A"), "bot's own A is left alone")
        XCTAssertEqual(try secret(bot, "acme.test.B"), "v-B")

        asked = []
        XCTAssertEqual(try fill([bot, robo], keys: ["B"], allowlist: list).map(\.outcome), [.found])
        XCTAssertEqual(asked, [])
    }

    func testNoOwnerGivenFillsHumanAndTheRefusalsAreTyped() throws {
        XCTAssertEqual(FillOwners.Request(env: try EnvName("test"), owners: [], keys: []).owners, [.human])
        XCTAssertThrowsError(try fill([bot], allowlist: nil)) { XCTAssertEqual($0 as? FillOwners.Failure, .noRepositoryFile) }
        let list = RepoAllowlist(org: "acme", path: "/r/.agent/keyrack.yml", sections: ["test": ["A"]])
        XCTAssertThrowsError(try fill([bot], keys: ["Z"], allowlist: list)) {
            XCTAssertEqual($0 as? FillOwners.Failure, .notListed(key: "Z", env: "test", path: "/r/.agent/keyrack.yml"))
            XCTAssertEqual("\($0)", "/r/.agent/keyrack.yml does not list Z for env test", "the problem only: no command, no flag")
        }
        XCTAssertEqual(asked, [], "nothing asked before a refusal")
        XCTAssertTrue(try fill([bot], allowlist: RepoAllowlist(org: "acme", path: "/r/k.yml", sections: [:])).isEmpty)
    }
}
