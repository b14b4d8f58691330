@testable import KeyrackApp
import KeyrackClient
import XCTest

/// `migrate`'s answer: one object per TypeScript manifest, every field present (null or empty
/// when it does not apply), a failure's problem and its fix apart, the fix worded by the caller.
final class MigrateJSONTests: XCTestCase {
    func testEachOwnersObjectAndAFailureWithItsFix() {
        var moved = MigrationReport(owner: "human", source: "/kr/keyrack.host.age")
        (moved.outcome, moved.openedWith, moved.keys, moved.recipients) = (.migrated, "/home/u/.ssh/id_ed25519", [("acme.prod.API", "os.secure")], ["paper"])
        moved.notMoved = [MigrationNote(subject: "acme.prod.GH", reason: "vault 'github.secrets' has no keyrack counterpart")]
        var failed = MigrationReport(owner: "ghost", source: "/kr/keyrack.host.ghost.age")
        failed.outcome = .failed(.undecryptable(path: "/kr/keyrack.host.ghost.age", tried: []))
        let answer = MigrateJSON(dryRun: false, reports: [moved, failed]) { "fix: \($0)" }
        XCTAssertTrue(answer.anyFailed)
        XCTAssertEqual(JSONLine.encode(answer),
                       #"{"dryRun":false,"owners":[{"owner":"human","status":"migrated","source":"/kr/keyrack.host.age","openedWith":"/home/u/.ssh/id_ed25519","# +
                       #""keys":[{"slug":"acme.prod.API","vault":"os.secure"}],"recipients":["paper"],"notMoved":[{"subject":"acme.prod.GH","# +
                       #""reason":"vault 'github.secrets' has no keyrack counterpart"}],"setAside":[],"problem":null,"fix":null},"# +
                       #"{"owner":"ghost","status":"failed","source":"/kr/keyrack.host.ghost.age","openedWith":null,"keys":[],"recipients":[],"# +
                       #""notMoved":[],"setAside":[],"problem":"cannot decrypt /kr/keyrack.host.ghost.age: none of the identities tried opens it (none found)","# +
                       #""fix":"fix: giveTheKeyThatOpensIt"}]}"#)
        XCTAssertFalse(MigrateJSON(dryRun: true, reports: [MigrationReport(owner: "bot", source: "/x")]) { _ in "" }.anyFailed)
        XCTAssertEqual(MigrateJSON(dryRun: true, reports: [MigrationReport(owner: "bot", source: "/x")]) { _ in "" }.owners.first?.status, "would-migrate")
    }

    /// The remedies say what to do without naming a program's options (the CLI words those).
    func testRemediesNameNoOption() {
        let errors: [MigrationError] = [.undecryptable(path: "/p", tried: ["/k"]), .damaged(path: "/p", why: "x"), .invalidJSON(what: "x"),
                                        .ownerExists(owner: "bot", manifest: "/m"), .noPrimary(owner: "bot"), .badOwner("B")]
        XCTAssertEqual(errors.map(\.remedy), [.giveTheKeyThatOpensIt, .restoreFromBackup, .restoreFromBackup, .replaceOrAddTheMissingKeys, .giveTheOwnersKey, .renameTheFile])
        for e in errors {
            XCTAssertFalse(e.description.contains("--") || e.description.contains("keyrack migrate") || e.description.contains("keyrack set"), e.description)
        }
    }
}
