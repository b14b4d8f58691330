import Foundation
import KeyrackApp
import KeyrackClient
import KeyrackCore
import KeyrackNames
import TestSupport
import XCTest

/// `set`/`del` keep `.agent/keyrack.yml` in step (TypeScript keyrack), editing it as text:
/// comments, order and other entries stay; never for sudo or @all keys or another org.
final class RepoFileEntriesTests: XCTestCase {
    func testSetAndDelAddAndRemoveTheEntryKeepingCommentsAndOrder() throws {
        let dir = try TempDirectory("keyrack-repofile-entries")
        defer { dir.remove() }
        let store = HostManifestStore(home: KeyrackHome(root: dir.file("kr"))), effects = RecordedEffects(), bot = try OwnerName("bot")
        _ = try OwnerInit.run(.init(owner: bot, spec: .age(AgeRecipientSpec()), viaGiven: true, directory: dir.url, userHome: dir.file("home")),
                              store: store, interaction: .nonInteractive, note: { _ in })
        let repo = dir.file("repo"), file = repo.appendingPathComponent(".agent/keyrack.yml")
        for sub in [".git", ".agent"] { try FileManager.default.createDirectory(at: repo.appendingPathComponent(sub), withIntermediateDirectories: true) }
        try Data("""
            # the repository's keys
            org: acme
            env.prod:  # production
              - EXISTING   # from the vault
              - key: AWS_PROFILE
                is-optional-if-has: AWS_ACCESS_KEY_ID
            env.test: []
            # trailing comment

            """.utf8).write(to: file)
        let identities = { try store.identities(for: bot, explicitPaths: []) }
        func set(_ key: String, _ env: String, org: String? = nil) throws -> RepoFileEntries.Change {
            try KeyChange.set(.init(owner: bot, org: org, env: try EnvName(env), key: try KeyName(key), vault: .osSecure, directory: repo),
                              store: store, identities: identities, value: { _ in Array("v".utf8) }, effects: effects).repoFile
        }
        func del(_ key: String, _ env: String) throws -> KeyChange.DeleteResult {
            try KeyChange.delete(owner: bot, org: nil, env: try EnvName(env), key: try KeyName(key), directory: repo, store: store, identities: identities, effects: effects)
        }
        func text() throws -> String { try String(contentsOf: file, encoding: .utf8) }

        XCTAssertEqual(try set("NEW", "prod"), .added(path: file.path, section: "env.prod"))
        XCTAssertEqual([try set("T", "test"), try set("P", "prep")], [.added(path: file.path, section: "env.test"), .added(path: file.path, section: "env.prep")])
        XCTAssertEqual(try text(), """
            # the repository's keys
            org: acme
            env.prod:  # production
              - EXISTING   # from the vault
              - key: AWS_PROFILE
                is-optional-if-has: AWS_ACCESS_KEY_ID
              - NEW
            env.test:
              - T
            # trailing comment
            env.prep:
              - P

            """)
        let before = try text()
        // Already listed; sudo (the owner's); machine-wide; another org is refused by set itself (exit 2).
        XCTAssertEqual([try set("NEW", "prod"), try set("GITHUB_TOKEN", "sudo"), try set("Y", "prod", org: "@all")], [.unchanged, .unchanged, .unchanged])
        XCTAssertThrowsError(try set("X", "prod", org: "other")) { XCTAssertEqual(($0 as? KeyrackError)?.kind, .usage, "\($0)") }
        XCTAssertEqual(try text(), before)

        XCTAssertEqual(try del("NEW", "prod").repoFile, .removed(path: file.path, section: "env.prod"))
        XCTAssertEqual(JSONLine.encode(try XCTUnwrap(RepoFileChangeJSON(try del("T", "test").repoFile))), #"{"effect":"removed","path":"\#(file.path)","section":"env.test"}"#)
        XCTAssertEqual(try text(), """
            # the repository's keys
            org: acme
            env.prod:  # production
              - EXISTING   # from the vault
              - key: AWS_PROFILE
                is-optional-if-has: AWS_ACCESS_KEY_ID
            # trailing comment
            env.prep:
              - P

            """)
        // A multi-line object entry is left to the user, said as a warning; the key is still deleted.
        _ = try set("AWS_PROFILE", "prod")
        let object = try del("AWS_PROFILE", "prod")
        XCTAssertTrue(object.removed && object.repoFile == .unchanged, "\(object)")
        XCTAssertEqual(effects.warnings.count, 1)
        XCTAssertTrue(effects.warnings[0].contains("line 5: the entry of AWS_PROFILE is not a one-line list item"), "\(effects.warnings)")
        XCTAssertTrue(try text().contains("  - key: AWS_PROFILE\n"))
    }
}
