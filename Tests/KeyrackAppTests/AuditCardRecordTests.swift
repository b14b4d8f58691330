import Foundation
@testable import KeyrackApp
@testable import KeyrackDaemon
import XCTest

/// The daemon's side of a card checkpoint (AUDIT_HEAD, AUDIT_CARD_CHECKPOINT): it says its
/// log's head, refuses a checkpoint naming a head its log does not have, and otherwise only
/// appends what it is handed (it holds no card code): `audit verify` is what checks the
/// signature, and names a record whose signature is not one.
final class AuditCardRecordTests: XCTestCase {
    private var dir: String!
    private var server: DaemonServer?

    override func setUpWithError() throws {
        dir = "/tmp/kac-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
        XCTAssertEqual(mkdir(dir, 0o700), 0)
        XCTAssertEqual(mkdir(dir + "/home", 0o700), 0)
    }

    override func tearDown() {
        server?.stop(); server?.waitUntilStopped()
        try? FileManager.default.removeItem(atPath: dir)
    }

    private func lines() throws -> [Substring] {
        try String(contentsOfFile: AuditLog.logPath(home: dir + "/home", owner: "bot"), encoding: .utf8).split(separator: "\n")
    }

    func testTheDaemonGivesItsHeadRefusesAnotherAndOnlyAppendsTheCardsRecord() throws {
        let runtime = RuntimeDirectory(path: dir + "/rt")
        try runtime.prepare()
        var c = DaemonServer.Configuration(owner: "bot", socketPath: runtime.socket(owner: "bot"), pidPath: runtime.pidFile(owner: "bot"), allowedUID: geteuid())
        c.idleExitMilliseconds = nil
        c.audit = try AuditLog(home: dir + "/home", owner: "bot")
        let server = DaemonServer(configuration: c, store: GrantStore(), log: { _ in })
        try server.start()
        self.server = server
        let client = DaemonClient(owner: "bot", runtime: runtime)

        guard case .auditHead(let seq, let head) = try client.send(.auditHead) else { return XCTFail() }
        let before = try lines()
        XCTAssertEqual(seq, UInt64(before.count - 1))
        XCTAssertEqual(head, AuditCrypto.sha256Hex(Array(before.last!.utf8)))

        let key = [4] + [UInt8](repeating: 1, count: 64)
        func refusal(_ record: CardCheckpoint) -> String? {
            do { _ = try client.send(.auditCardCheckpoint(record)); return nil } catch DaemonError.protocolError(let code, let message) {
                XCTAssertEqual(code, .rejected); return message
            } catch { return "\(error)" }
        }
        let other = String(repeating: "0", count: 64)
        XCTAssertEqual(refusal(CardCheckpoint(seq: seq + 5, head: head, signature: [1], publicKey: key, slot: "9a", serial: 1)),
                       "the card checkpoint names a head this log does not have")
        XCTAssertEqual(refusal(CardCheckpoint(seq: seq, head: other, signature: [1], publicKey: key, slot: "9a", serial: 1)),
                       "the card checkpoint names a head this log does not have")
        XCTAssertEqual(try lines().count, before.count, "nothing appended for a refusal")

        // A head it has, with a signature that is none: appended as handed (the daemon checks no
        // card signature), and `audit verify` names that record.
        guard case .sandboxAccepted = try client.send(.auditCardCheckpoint(CardCheckpoint(seq: seq, head: head, signature: [0x30, 0x00],
                                                                                             publicKey: key, slot: "9a", serial: 7))) else { return XCTFail() }
        let after = try lines()
        let record = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(after.last!.utf8)) as? [String: Any])
        XCTAssertEqual(record["event"] as? String, "card-checkpoint")
        XCTAssertEqual(record["covers_seq"] as? Int, Int(seq))
        XCTAssertEqual(record["head"] as? String, head)
        XCTAssertEqual(record["serial"] as? Int, 7)
        XCTAssertEqual(record["sig"] as? String, "3000")
        let f = try AuditRecords.read(home: dir + "/home", owner: "bot")
        let report = AuditVerifier.verify(log: f.log, anchor: f.anchor, owner: "bot")
        XCTAssertEqual(report.fault?.line, after.count)
        XCTAssertEqual(report.fault?.problem, "card checkpoint key or signature is not a P-256 key or ECDSA signature")
    }
}
