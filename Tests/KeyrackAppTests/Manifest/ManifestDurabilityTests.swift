import Foundation
import KeyrackApp
import KeyrackCore
import KeyrackDaemon
import KeyrackNames
import TestSupport
import XCTest

/// Concurrent writers lose nothing; a damaged manifest is reported (exit 1, one line) and never
/// overwritten by set, del, list, recipient add or a second init. In-process on a temp
/// KEYRACK_HOME; each `set` opens the owner's lock on its own descriptor, as separate processes
/// do. The writer killed mid-write: CLITests/ManifestDurabilityTests.swift.
final class ManifestDurabilityTests: XCTestCase {
    private var dir: TempDirectory!
    private var store: HostManifestStore!
    private let owner = try! OwnerName("seaturtle")

    override func setUpWithError() throws {
        dir = try TempDirectory("keyrack-durability")
        store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
        _ = try initAge()
    }

    override func tearDown() { dir.remove() }

    private func initAge() throws -> OwnerInit.Result {
        try OwnerInit.run(.init(owner: owner, spec: .age(AgeRecipientSpec()), viaGiven: true, directory: dir.url, userHome: dir.file("home")),
                          store: store, interaction: .nonInteractive, note: { _ in })
    }

    private func set(_ key: String, env: String = "sudo", org: String? = nil, vault: Vault = .osSecure, value: String) throws {
        let input = KeyChange.SetInput(owner: owner, org: org, env: try EnvName(env), key: try KeyName(key), vault: vault, directory: dir.url)
        _ = try KeyChange.set(input, store: store, identities: { try self.store.identities(for: self.owner) },
                              value: { _ in Array(value.utf8) }, effects: QuietEffects())
    }

    private func snapshot() throws -> [String: Data] { try fileSnapshot(store.home.root) }

    func testTwentyConcurrentSetsLeaveTwentyKeys() throws {
        let lock = NSLock()
        var failures: [String] = []
        DispatchQueue.concurrentPerform(iterations: 20) { i in
            do { try set("KEY_\(i)", env: "test", org: "acme", value: "value-\(i)") } catch { lock.withLock { failures.append("\(i): \(error)") } }
        }
        XCTAssertEqual(failures, [])
        let manifest = try store.load(owner: owner, identities: try store.identities(for: owner))
        XCTAssertEqual(Set(manifest.keys(env: nil).map(\.slug.description)), Set((0..<20).map { "acme.test.KEY_\($0)" }))
        for i in 0..<20 {
            XCTAssertEqual(manifest.secrets[try Slug(validating: "acme.test.KEY_\(i)")], Array("value-\(i)".utf8), "value \(i) lost")
        }
    }

    func testCorruptedOrTruncatedManifestIsReportedAndNeverOverwritten() throws {
        try set("A", value: "a")
        let file = store.home.manifest(owner)
        let good = try Data(contentsOf: file)
        let text = String(decoding: good, as: UTF8.self)
        var flipped = Array(good)
        let mid = text.range(of: "\n", options: [], range: text.index(text.startIndex, offsetBy: text.count / 2)..<text.endIndex)!
        let at = text.utf8.distance(from: text.utf8.startIndex, to: mid.lowerBound) - 3
        flipped[at] = flipped[at] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let variants: [(String, Data)] = [
            ("truncated", good.prefix(good.count / 2)),
            ("truncated-at-end", good.prefix(good.count - 40)),
            ("bit-flipped", Data(flipped)),
            ("empty", Data()),
            ("garbage", Data("this is not an age file\n".utf8)),
        ]
        let ids = { try self.store.identities(for: self.owner) }
        let changes: [(String, () throws -> Void)] = [
            ("set", { try self.set("B", vault: .osEnvvar, value: "") }),
            ("del", { _ = try KeyChange.delete(owner: self.owner, org: nil, env: try EnvName("sudo"), key: try KeyName("A"), directory: self.dir.url,
                                               store: self.store, identities: ids, effects: QuietEffects()) }),
            ("list", { _ = try self.store.load(owner: self.owner, identities: try ids()) }),
            ("recipient add", { _ = try RecipientChange.add(owner: self.owner, label: try RecipientLabel("x"),
                                                           publicKey: "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq",
                                                           backupIdentity: nil, userHome: self.dir.url, store: self.store, identities: ids) }),
        ]
        for (name, bytes) in variants {
            try bytes.write(to: file)
            let before = try snapshot()
            for (what, change) in changes {
                XCTAssertThrowsError(try change(), "\(name) \(what)") { error in
                    let e = error as? KeyrackError
                    XCTAssertEqual(e?.kind, .damaged, "exit 1: \(name) \(what): \(error)")
                    let problem = e?.problem ?? ""
                    XCTAssertTrue(problem.contains("the host manifest of owner seaturtle") && problem.contains("is damaged") && problem.contains("left unchanged"),
                                  "\(name) \(what): \(problem)")
                    XCTAssertFalse("\(error)".contains("\n"), "one line: \(error)")
                }
                XCTAssertEqual(try snapshot(), before, "\(name): \(what) changed a file")
            }
        }
        // Re-init does not clobber a damaged manifest either.
        guard case .alreadyInitialised = try initAge().outcome else { return XCTFail("init over a damaged manifest created one") }
    }
}

/// ManifestEffects that do nothing, safe from any thread (the changes here need no daemon).
struct QuietEffects: ManifestEffects {
    func revoke(owner: OwnerName, slug: Slug?, why: String) {}
    func record(owner: OwnerName, event: String, slug: Slug, vault: Vault?, effect: String?) {}
    func hold(owner: OwnerName, entry: KeyEntry, pinnedUID: UInt32?, sandboxed: Bool, value: inout [UInt8]) throws -> Slug { entry.slug }
    func warn(_ line: String) {}
}
