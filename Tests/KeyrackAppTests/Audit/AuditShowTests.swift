import Foundation
@testable import KeyrackApp
import KeyrackClient
import XCTest

/// `audit show`'s use case on a log written here: each line read back as a typed record with its
/// requester resolved from its connection's `connect` record, a line for people per event, the
/// `--json` line (keys sorted, one line), and the `--since` / `--key` filters.
final class AuditShowTests: XCTestCase {
    private let log = """
    {"seq":1,"time":"2026-12-05T10:00:00.000Z","event":"connect","requester":{"uid":1000,"pid":42,"exe":"/usr/bin/python3","command":"get","verified":true,"parent":{"pid":7,"exe":"/bin/bash"}}}
    {"seq":2,"time":"2026-12-05T10:00:01.000Z","event":"get","requester_seq":1,"keys":[{"key":"K0","result":"granted","slug":"acme.test.K0"}]}
    {"seq":3,"time":"2026-12-05T11:00:00.000Z","event":"set","slug":"acme.test.K1","vault":"os.secure","effect":"added"}
    not json, skipped here (verify names it)
    {"seq":4,"time":"2026-12-05T11:30:00.000Z","event":"card-checkpoint","covers_seq":3,"serial":123,"slot":"9a"}
    {"seq":5,"time":"2026-12-05T11:31:00.000Z","event":"card-checkpoint","covers_seq":4,"slot":"tpm"}
    {"seq":6,"time":"2026-12-05T11:40:00.000Z","event":"unlock","keys":[{"slug":"acme.test.K0","ttl_seconds":600}]}
    {"seq":7,"time":"2026-12-05T11:41:00.000Z","event":"sandbox","keys":["acme.test.K0"],"files":2,"requester":{"pid":9,"comm":"bwrap","sandbox":"ci"}}
    {"seq":8,"time":"2026-12-05T11:42:00.000Z","event":"expire","slugs":["acme.test.K0","acme.test.K1"]}
    {"seq":9,"time":"2026-12-05T11:43:00.000Z","event":"stop","reason":"idle"}

    """

    private var files: AuditRecords.Files { AuditRecords.Files(log: Array(log.utf8), anchor: nil, path: "/h/audit/bot.jsonl") }
    private let now = ISO8601DateFormatter().date(from: "2026-12-05T11:45:00Z")!

    func testEachRecordIsOneLineForPeopleWithItsRequester() {
        let records = AuditShow.records(files, filter: .init(), now: now)
        XCTAssertEqual(records.map { $0["seq"]?.integer }, (1...9).map { Int64($0) })
        XCTAssertEqual(records.map(AuditShow.describe), [
            "2026-12-05T10:00:00.000Z  connect  pid 42 /usr/bin/python3 get ← /bin/bash (pid 7)",
            "2026-12-05T10:00:01.000Z  get  acme.test.K0 granted  pid 42 /usr/bin/python3 get ← /bin/bash (pid 7)",
            "2026-12-05T11:00:00.000Z  set  acme.test.K1 os.secure added",
            "2026-12-05T11:30:00.000Z  card-checkpoint  record 3 signed by YubiKey 123 slot 9a",
            "2026-12-05T11:31:00.000Z  card-checkpoint  record 4 signed by the TPM",
            "2026-12-05T11:40:00.000Z  unlock  acme.test.K0 600s",
            "2026-12-05T11:41:00.000Z  sandbox  2 file(s)  pid 9 bwrap [ci]",
            "2026-12-05T11:42:00.000Z  expire  acme.test.K0, acme.test.K1",
            "2026-12-05T11:43:00.000Z  stop  idle",
        ])
    }

    /// `--json`: the daemon's record with the resolved requester, keys sorted, one line.
    func testTheJSONLineIsTheRecordWithItsRequesterKeysSorted() throws {
        let get = try XCTUnwrap(AuditShow.records(files, filter: .init(), now: now).first { $0["event"]?.string == "get" })
        XCTAssertEqual(JSONLine.encode(get), #"{"event":"get","keys":[{"key":"K0","result":"granted","slug":"acme.test.K0"}],"#
            + #""requester":{"command":"get","exe":"/usr/bin/python3","parent":{"exe":"/bin/bash","pid":7},"pid":42,"uid":1000,"verified":true},"#
            + #""requester_seq":1,"seq":2,"time":"2026-12-05T10:00:01.000Z"}"#)
        // Read back, the line is the same record.
        XCTAssertEqual(AuditShow.parse(Array((JSONLine.encode(get) + "\n").utf8)), [get])
    }

    func testSinceAndKeyKeepTheirRecords() {
        let recent = AuditShow.records(files, filter: .init(sinceSeconds: 30 * 60), now: now)
        XCTAssertEqual(recent.map { $0["seq"]?.integer }, [4, 5, 6, 7, 8, 9])
        // A slug or its last part; a record of several keys when it names it.
        XCTAssertEqual(AuditShow.records(files, filter: .init(key: "K1"), now: now).map { $0["seq"]?.integer }, [3, 8])
        XCTAssertEqual(AuditShow.records(files, filter: .init(key: "acme.test.K0"), now: now).map { $0["seq"]?.integer }, [2, 6, 7, 8])
        XCTAssertEqual(AuditShow.records(files, filter: .init(sinceSeconds: 60, key: "K0"), now: now).map { $0["seq"]?.integer }, [])
    }
}

extension AuditRecordJSON {
    /// The record as Foundation's dictionaries, for tests that read the daemon's records so.
    var dictionary: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(JSONLine.encode(self).utf8))) as? [String: Any] ?? [:]
    }
}
