import Foundation
import TestSupport
import XCTest

/// Issue 10, item 2: changing a key revokes it (`set` of a new value, `del`, `recipient remove`
/// relock the running grants before they return), and os.daemon values live in the daemon only.
final class RevocationTests: XCTestCase {
    private var h: DaemonHarness!

    override func setUpWithError() throws { h = try DaemonHarness() }
    override func tearDown() { h.tearDown() }

    private let get = ["get", "--for", "bot", "--key", "acme.test.API", "--value"]

    private func set(_ value: String) throws -> RunResult {
        try h.ok(["set", "--for", "bot", "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: value)
    }

    func testSetDelAndRecipientRemoveRelockTheRunningGrant() throws {
        try h.sshOwner("bot")
        let (v1, v2) = ("old-" + UUID().uuidString, "new-" + UUID().uuidString)
        _ = try set(v1)
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        XCTAssertEqual(try h.ok(get).out, v1)

        let reset = try set(v2)
        print("set of a new value: \(reset.err)")
        XCTAssertTrue(reset.err.contains("relocked acme.test.API in the daemon of 'bot'"), reset.err)
        var r = try h.keyrack(get)
        XCTAssertEqual(r.status, 3, "the old value must not be served after set: \(r)")
        XCTAssertEqual(r.out, "")
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        XCTAssertEqual(try h.ok(get).out, v2)

        let del = try h.ok(["del", "--for", "bot", "--key", "API", "--env", "test", "--org", "acme"])
        print("del: \(del.err)")
        XCTAssertTrue(del.err.contains("relocked acme.test.API in the daemon of 'bot': it was deleted"), del.err)
        r = try h.keyrack(get)
        XCTAssertEqual(r.status, 3, "a deleted key must not be served: \(r)")
        XCTAssertEqual(r.out, "")

        // A recipient's removal relocks everything it may have unlocked.
        _ = try set(v1)
        let backup = try Run.process("age-keygen", [])
        let pub = try XCTUnwrap(backup.out.split(separator: "\n").first { $0.hasPrefix("# public key: ") }).dropFirst("# public key: ".count)
        try h.ok(["recipient", "add", "--for", "bot", "--pubkey", String(pub), "--label", "paper"])
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        XCTAssertEqual(try h.ok(get).out, v1)
        let removed = try h.ok(["recipient", "remove", "--for", "bot", "--label", "paper"])
        print("recipient remove: \(removed.err)")
        XCTAssertTrue(removed.err.contains("relocked acme.test.API in the daemon of 'bot': recipient paper was removed"), removed.err)
        XCTAssertEqual(try h.keyrack(get).status, 3)
    }

    func testOSDaemonValueIsHeldByTheDaemonOnlyAndGoneWhenItStops() throws {
        try h.sshOwner("bot")
        let value = "session-" + UUID().uuidString
        let before = try h.machine.snapshot()
        let set = try h.ok(["set", "--for", "bot", "--key", "SESSION", "--env", "test", "--org", "acme", "--vault", "os.daemon"], stdin: value)
        print("set --vault os.daemon: \(set.out)\(set.err)")
        XCTAssertTrue(set.err.contains("acme.test.SESSION is held by the daemon of 'bot' only"), set.err)
        XCTAssertEqual(try h.ok(["get", "--for", "bot", "--key", "acme.test.SESSION", "--value"]).out, value)
        // On disk: only the manifest changed (its entry), and no file anywhere holds the value.
        let after = try h.machine.snapshot()
        XCTAssertEqual(Set(after.keys).subtracting(before.keys).filter { !$0.hasPrefix("locks") }, [])
        let listed = try h.ok(["list", "--for", "bot"])
        XCTAssertTrue(listed.out.contains("acme.test.SESSION") && listed.out.contains("os.daemon"), listed.out)
        let grep = try Run.process("/bin/grep", ["-rl", value, h.machine.dir.path])
        XCTAssertEqual(grep.status, 1, "the value is in a file: \(grep.out)")

        try h.ok(["daemon", "stop", "--for", "bot"])
        let gone = try h.keyrack(["get", "--for", "bot", "--key", "acme.test.SESSION", "--value"])
        XCTAssertEqual(gone.status, 3, "\(gone)")
        XCTAssertEqual(gone.out, "")
    }
}
