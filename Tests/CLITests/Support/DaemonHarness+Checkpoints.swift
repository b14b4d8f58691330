import Foundation
import TestSupport
import XCTest

/// The card and TPM checkpoints of an owner's access log (AuditCardCheckpointTests,
/// AuditTPMCheckpointTests): what each writes and how `audit verify` names a forged one.
extension DaemonHarness {
    /// The log's card-checkpoint records.
    func checkpoints(_ owner: String) throws -> [[String: Any]] {
        try auditRecords(owner).filter { $0["event"] as? String == "card-checkpoint" }
    }

    /// Each checkpoint names an earlier record, its unlock's, and signs with `slot`; `audit`
    /// shows each `signedBy`. Returns the checkpoints.
    @discardableResult
    func assertCheckpointsCoverUnlocks(_ owner: String, count: Int, slot: String, signedBy: String,
                                       file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
        let all = try auditRecords(owner)
        let signed = all.filter { $0["event"] as? String == "card-checkpoint" }
        XCTAssertEqual(signed.count, count, "one checkpoint per unlock", file: file, line: line)
        for r in signed {
            let covers = try XCTUnwrap(r["covers_seq"] as? Int, file: file, line: line)
            XCTAssertEqual(all[covers]["event"] as? String, "unlock", "\(r)", file: file, line: line)
            XCTAssertEqual(r["slot"] as? String, slot, file: file, line: line)
        }
        let shown = try ok(["audit", "--for", owner]).out.split(separator: "\n").filter { $0.contains("  card-checkpoint  ") }
        XCTAssertEqual(shown.count, count, "\(shown)", file: file, line: line)
        XCTAssertTrue(shown.allSatisfy { $0.contains(signedBy) }, "\(shown)", file: file, line: line)
        return signed
    }

    /// `audit verify args` fails (exit 1) naming line `at` of `owner`'s log, a checkpoint signed
    /// by another key, and `why`.
    func assertVerifyRefusesCheckpoint(_ owner: String, _ args: [String], at lineNumber: Int, because why: String,
                                       file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try keyrack(["audit", "verify", "--for", owner] + args)
        XCTAssertEqual(r.status, 1, "\(r)", file: file, line: line)
        XCTAssertTrue(r.err.hasPrefix("error: \(auditLog(owner).path) line \(lineNumber): card checkpoint signed by card key "), r.err, file: file, line: line)
        XCTAssertTrue(r.err.contains(why), r.err, file: file, line: line)
    }
}
