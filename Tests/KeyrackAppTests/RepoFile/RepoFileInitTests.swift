import Foundation
import KeyrackApp
import KeyrackClient
import KeyrackCore
import KeyrackNames
import TestSupport
import XCTest

/// `init --org ORG` makes the repository's minimal `.agent/keyrack.yml` at the git root, once;
/// another org is refused before the owner is made.
final class RepoFileInitTests: XCTestCase {
    func testInitOrgCreatesTheRepositoryFileOnceAndRefusesAnotherOrg() throws {
        let dir = try TempDirectory("keyrack-repofile-init")
        defer { dir.remove() }
        let store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
        let repo = dir.file("repo"), file = repo.appendingPathComponent(".agent/keyrack.yml")
        for sub in [".git", "src/deep"] { try FileManager.default.createDirectory(at: repo.appendingPathComponent(sub), withIntermediateDirectories: true) }
        func initOrg(_ owner: String, _ org: String, in directory: URL) throws -> RepoFileInit.Outcome? {
            try OwnerInit.run(.init(owner: try OwnerName(owner), spec: .age(AgeRecipientSpec()), viaGiven: true, org: try OrgName(org), directory: directory,
                                    userHome: dir.file("home")), store: store, interaction: .nonInteractive, note: { _ in }).repoFile
        }

        let made = try XCTUnwrap(try initOrg("human", "acme", in: repo.appendingPathComponent("src/deep")))
        XCTAssertEqual(JSONLine.encode(RepoFileInitJSON(made, org: "acme")), #"{"effect":"created","path":"\#(file.path)","org":"acme"}"#)
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), "org: acme\n")
        XCTAssertEqual(try initOrg("human", "acme", in: repo), .found(path: file.path))

        XCTAssertThrowsError(try initOrg("bot", "other", in: repo)) { error in
            XCTAssertEqual(error as? RepoFileInit.Failure, .otherOrg(path: file.path, org: "acme"), "a usage error (exit 2): the CLI says `drop --org`")
            XCTAssertEqual("\(error)", "\(file.path) already declares org acme: edit its org: line by hand, or initialise without an org")
            assertNamesNoCommandOrFlag("\(error)")
        }
        XCTAssertFalse(store.isInitialised(try OwnerName("bot")), "refused before the owner was made")
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), "org: acme\n")

        XCTAssertEqual(try initOrg("human", "acme", in: dir.url), .notInRepository)
        XCTAssertThrowsError(try OrgName("Bad Org"), "a usage error (exit 2)")
    }
}
