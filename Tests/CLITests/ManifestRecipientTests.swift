import Foundation
import TestSupport
import XCTest

/// Backup recipients end to end: any recipient opens the manifest (proved with Debian's `age`).
/// The refusals (the last way in, unknown labels, post-quantum mixing) are
/// KeyrackAppTests.ManifestChangeTests'.
final class ManifestRecipientTests: XCTestCase {
    func testAddListRemoveRecipients() throws {
        let h = try ManifestHarness()
        let primary = try h.sshKey("id_ed25519")
        try h.ok(["init", "--via", "ssh"])
        try h.ok(["set", "--key", "T", "--env", "sudo", "--vault", "os.secure"], stdin: "tok")

        // An age backup made by the real age-keygen, and an ssh backup given as a .pub file.
        let paper = h.dir.file("paper.txt")
        XCTAssertEqual(try Run.process("age-keygen", ["-o", paper.path]).status, 0)
        let paperPub = try Run.process("age-keygen", ["-y", paper.path]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        try h.ok(["recipient", "add", "--label", "paper", "--pubkey", paperPub])
        let laptop = try h.sshKey("laptop")
        let added = try ManifestHarness.json(try h.ok(["recipient", "add", "--label", "laptop", "--pubkey", laptop.path + ".pub", "--json"]))
        XCTAssertEqual(added["via"] as? String, "ssh")
        XCTAssertEqual(added["identity"] as? String, laptop.path)

        for key in [primary, paper, laptop] {
            let r = try h.ageDecrypt("human", identity: key)
            XCTAssertEqual(r.status, 0, "\(key.lastPathComponent): \(r)")
            XCTAssertTrue(r.out.contains("@all.sudo.T\": tok"), r.out)
        }
        let list = try ManifestHarness.json(try h.ok(["recipient", "list", "--json"]))
        XCTAssertEqual((list["recipients"] as? [[String: Any]])?.map { $0["label"] as? String }, ["primary", "paper", "laptop"])

        // A refusal is exit 2 (each refusal: KeyrackAppTests.ManifestChangeTests).
        let dup = try h.keyrack(["recipient", "add", "--label", "paper", "--pubkey", paperPub])
        XCTAssertEqual(dup.status, 2)
        XCTAssertTrue(dup.err.contains("already has a recipient labelled paper"), dup.err)

        // Remove the primary and the laptop: only the paper key opens it now.
        let promoted = try h.ok(["recipient", "remove", "--label", "primary"])
        XCTAssertTrue(promoted.out.contains("paper is now the primary recipient"), promoted.out)
        try h.ok(["recipient", "remove", "--label", "laptop", "--identity", paper.path])
        XCTAssertNotEqual(try h.ageDecrypt("human", identity: primary).status, 0)
        XCTAssertNotEqual(try h.ageDecrypt("human", identity: laptop).status, 0)
        XCTAssertEqual(try h.ageDecrypt("human", identity: paper).status, 0)
    }

    func testInitRecordsUID() throws {
        let h = try ManifestHarness()
        try h.ok(["init", "--for", "ci-bot", "--via", "age", "--uid", "root"])
        let plain = try h.ageDecrypt("ci-bot", identity: h.keyrackHome.appendingPathComponent("identities/ci-bot.txt"))
        XCTAssertTrue(plain.out.contains("  uid: 0\n"), plain.out)
    }
}
