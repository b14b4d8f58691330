import Foundation
import KeyrackApp
import KeyrackCore
import KeyrackNames
import TestSupport
import XCTest

/// A full disk or a read-only KEYRACK_HOME (a real tmpfs, filled or remounted read-only) under
/// `set` and `recipient add`, in-process: one line naming the directory and what to do, nothing
/// changed (no temp file either), the old manifest still decrypts; with space back the same
/// changes succeed, and reads work on a read-only home.
final class FullOrReadOnlyHomeTests: XCTestCase {
    private var dir: TempDirectory!
    private var mount: TmpfsMount!
    private var store: HostManifestStore!
    private let owner = try! OwnerName("human")
    private var backup: (identity: String, recipient: String)!

    override func setUpWithError() throws {
        dir = try TempDirectory("keyrack-fault")
        mount = try TmpfsMount(at: dir.file("kr"), size: "1m")
        store = HostManifestStore(home: KeyrackHome(root: mount.url))
        try makeAgeOwner("human", in: store, userHome: dir.url)
        try set("BEFORE", "old-value")
        let identity = dir.file("backup.txt").path
        XCTAssertEqual(try Run.process("age-keygen", ["-o", identity]).status, 0)
        backup = (identity, try Run.process("age-keygen", ["-y", identity]).out.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    override func tearDown() {
        try? mount.remount(readOnly: false)
        mount.unmount()
        dir.remove()
    }

    private func set(_ key: String, _ value: String) throws {
        let input = KeyChange.SetInput(owner: owner, org: "acme", env: try EnvName("test"), key: try KeyName(key), vault: .osSecure, directory: dir.url)
        _ = try KeyChange.set(input, store: store, identities: { try self.store.identities(for: self.owner) }, value: { _ in Array(value.utf8) }, effects: QuietEffects())
    }

    private func addBackup() throws {
        _ = try RecipientChange.add(owner: owner, label: try RecipientLabel("paper"), publicKey: backup.recipient, backupIdentity: nil,
                                    userHome: dir.url, store: store, identities: { try self.store.identities(for: self.owner) })
    }

    /// Every file under the home but the filler.
    private func snapshot() throws -> [String: Data] { try fileSnapshot(mount.url, except: ["fill"]) }

    private func decrypt(_ identity: String) throws -> String {
        try Run.process("age", ["-d", "-i", identity, store.home.manifest(owner).path]).out
    }

    /// set and recipient add fail with one line holding `words`, and change nothing.
    private func assertRefused(saying words: [String]) throws {
        let before = try snapshot()
        for (what, change) in [("set", { try self.set("NEW", "new-value") }), ("recipient add", { try self.addBackup() })] as [(String, () throws -> Void)] {
            XCTAssertThrowsError(try change(), what) { error in
                let message = "\(error)"
                XCTAssertEqual((error as? KeyrackError)?.kind, .failure, "exit 1: \(what): \(message)")
                XCTAssertFalse(message.contains("\n"), "one line: \(message)")
                for word in words + [mount.url.path] { XCTAssertTrue(message.contains(word), "\(what): '\(word)' missing from: \(message)") }
                XCTAssertFalse(message.contains("new-value"))
            }
            XCTAssertEqual(try snapshot(), before, "a failed \(what) must leave every file as it was (no temp file either)")
            let plain = try decrypt(store.home.ageIdentity(owner).path)
            XCTAssertTrue(plain.contains("acme.test.BEFORE: old-value") && !plain.contains("NEW") && !plain.contains("paper"), plain)
        }
    }

    func testDiskFullDuringSetAndRecipientAddLosesNothingAndSaysSo() throws {
        try mount.fill()
        try assertRefused(saying: ["No space left on device", "is full", "free some space"])
        // Space back: the same changes succeed, so the failure was the disk, not the owner.
        mount.unfill()
        try set("NEW", "new-value")
        try addBackup()
        let after = try decrypt(backup.identity)
        XCTAssertTrue(after.contains("acme.test.NEW: new-value") && after.contains("acme.test.BEFORE: old-value"), after)
    }

    func testReadOnlyHomeDuringSetAndRecipientAddLosesNothingAndSaysSo() throws {
        try mount.remount(readOnly: true)
        try assertRefused(saying: ["Read-only file system", "read-only", "remount it read-write"])
        // Reads still work on a read-only home.
        XCTAssertEqual(try store.load(owner: owner, identities: try store.identities(for: owner)).keys(env: nil).map(\.slug.description), ["acme.test.BEFORE"])
    }
}
