import AgeFormat
import Foundation
import KeyrackApp
import KeyrackCore
import KeyrackDaemon
import KeyrackNames
import TestSupport
import XCTest

/// The identity agent's refusal of the owner's own manifest (issue 24), in-process on a temp
/// KEYRACK_HOME with an age owner: the manifest's stanzas, and those of every version the
/// refusal has seen, are refused with the one-line reason; other files' stanzas are not.
final class OwnManifestRefusalTests: XCTestCase {
    private var dir: TempDirectory!
    private var store: HostManifestStore!
    private let bot = try! OwnerName("reach-bot")

    override func setUpWithError() throws {
        dir = try TempDirectory("keyrack-refusal")
        store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
        try OwnerInit.run(.init(owner: bot, spec: .age(AgeRecipientSpec()), viaGiven: true, directory: dir.url, userHome: dir.file("home")),
                          store: store, interaction: .nonInteractive, note: { _ in })
    }

    override func tearDown() { dir.remove() }

    /// The header stanzas of an age file, read without any key.
    private func stanzas(_ file: [UInt8]) -> [AgentStanza] {
        final class Recorder: Identity {
            var seen: [Stanza] = []
            func unwrap(_ stanzas: [Stanza]) throws -> FileKey? { seen = stanzas; return nil }
        }
        let recorder = Recorder()
        _ = try? Age.decrypt(file, with: [recorder])
        return recorder.seen.map { AgentStanza(type: $0.type, arguments: $0.arguments, body: $0.body) }
    }

    private func manifestStanzas() throws -> [AgentStanza] {
        let s = stanzas(try XCTUnwrap(try FileSystem.read(store.home.manifest(bot), noFollow: true)))
        XCTAssertFalse(s.isEmpty, "the manifest has a header")
        return s
    }

    private func setKey(_ key: String) throws {
        let input = KeyChange.SetInput(owner: bot, org: nil, env: try EnvName("sudo"), key: try KeyName(key), vault: .osSecure, directory: dir.url)
        _ = try KeyChange.set(input, store: store, identities: { try self.store.identities(for: self.bot, explicitPaths: []) },
                              value: { _ in Array("v".utf8) }, effects: NoEffects())
    }

    func testRefusesTheManifestNamingTheOwnerAndWhatToRunInstead() throws {
        let refusal = OwnManifestRefusal(owner: bot, home: store.home)
        refusal.record()
        let header = try manifestStanzas()
        let refused = try XCTUnwrap(refusal.refusal(of: header))
        XCTAssertEqual(refused.stanza, 0)
        XCTAssertEqual(refused.reason, "this is the manifest of 'reach-bot' (keyrack wrote its header): the identity agent does not open it; read its keys by unlocking the owner and getting them")
        assertNamesNoCommandOrFlag(refused.reason)
        // The program serving the agent words the remedy in its commands (the CLI: AppWords).
        let worded = OwnManifestRefusal(owner: bot, home: store.home, remedy: "read its keys with `keyrack unlock --for reach-bot --env ENV` and `keyrack get`")
        worded.record()
        XCTAssertEqual(worded.refusal(of: header)?.reason,
                       "this is the manifest of 'reach-bot' (keyrack wrote its header): the identity agent does not open it; read its keys with `keyrack unlock --for reach-bot --env ENV` and `keyrack get`")
    }

    func testRefusesALaterVersionAndStillTheOldOne() throws {
        let refusal = OwnManifestRefusal(owner: bot, home: store.home)
        refusal.record()
        let old = try manifestStanzas()
        try setKey("ROOT")  // a new header, a new file key
        let newer = try manifestStanzas()
        XCTAssertNotEqual(old, newer)
        XCTAssertNotNil(refusal.refusal(of: newer), "the version on disk is read again at each request")
        XCTAssertNotNil(refusal.refusal(of: old), "a copy of a version seen before stays refused")
    }

    func testOpensOtherFilesAndAStanzaAfterOthers() throws {
        let refusal = OwnManifestRefusal(owner: bot, home: store.home)
        refusal.record()
        let other = AgentStanza(type: "X25519", arguments: ["abc"], body: Array(repeating: 7, count: 32))
        XCTAssertNil(refusal.refusal(of: [other]))
        let mixed = [other] + (try manifestStanzas())
        XCTAssertEqual(refusal.refusal(of: mixed)?.stanza, 1, "the index of the manifest's stanza")
    }

    func testWithoutAHomeNothingIsRefused() throws {
        let refusal = OwnManifestRefusal(owner: bot, home: nil)
        refusal.record()
        XCTAssertNil(refusal.refusal(of: try manifestStanzas()))
    }
}

/// Side effects a test does not look at.
private struct NoEffects: ManifestEffects {
    func revoke(owner: OwnerName, slug: Slug?, why: String) {}
    func record(owner: OwnerName, event: String, slug: Slug, vault: Vault?, effect: String?) {}
    func hold(owner: OwnerName, entry: KeyEntry, pinnedUID: UInt32?, sandboxed: Bool, value: inout [UInt8]) throws -> Slug { entry.slug }
    func warn(_ line: String) {}
}
