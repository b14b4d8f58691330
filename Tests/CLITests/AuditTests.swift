import Foundation
import TestSupport
import XCTest

/// The access log end to end with the built binaries: a `keyrack get` started by a known
/// program (a python3 script) is recorded with that program as its parent; set and del are
/// recorded by the CLI; no value reaches the log; `keyrack audit verify` passes on the
/// untouched log and fails naming the line once a byte is changed.
final class AuditTests: XCTestCase {
    private var h: DaemonHarness!

    override func setUpWithError() throws { h = try DaemonHarness() }
    override func tearDown() { h.tearDown() }

    private var logURL: URL { h.auditLog("bot") }

    func testGetFromAKnownProgramIsRecordedWithItsParentAndTheChainVerifies() throws {
        let values = (0..<5).map { "value-\($0)-" + UUID().uuidString }
        try h.sshOwner("bot")
        for (i, v) in values.enumerated() { try h.secure("bot", "K\(i)", v) }
        try h.ok(["del", "--for", "bot", "--key", "K4", "--env", "test", "--org", "acme"])
        try h.ok(["unlock", "--for", "bot", "--env", "test"])

        // The program that wants the key: it reports its own pid and executable, then runs get.
        let script = h.machine.dir.file("wants-key.py")
        try """
        import os, subprocess, sys
        print(os.getpid(), os.path.realpath("/proc/self/exe"), flush=True)
        r = subprocess.run([sys.argv[1], "get", "--for", "bot", "--key", "acme.test.K0", "--value"], capture_output=True)
        sys.stdout.write(r.stdout.decode())
        sys.exit(r.returncode)
        """.write(to: script, atomically: true, encoding: .utf8)
        let run = try Run.process("/usr/bin/env", ["python3", script.path, Run.keyrackBinary], environment: h.environment, currentDirectory: h.machine.dir.url)
        XCTAssertEqual(run.status, 0, "\(run)")
        let lines = run.out.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, run.out)
        XCTAssertEqual(String(lines[1]), values[0])
        let head = lines[0].split(separator: " ")
        let pythonPID = try XCTUnwrap(Int(head[0])), pythonExe = String(head[1])

        try h.ok(["relock", "--for", "bot"])
        let text = try String(contentsOf: logURL, encoding: .utf8)
        for v in values { XCTAssertFalse(text.contains(v), "a value reached the log") }
        var records = jsonLines(text)
        // A daemon record names its requester by the seq of its connection's connect record.
        let connects = Dictionary(records.filter { $0["event"] as? String == "connect" }.map { ($0["seq"] as! Int, $0["requester"]!) }, uniquingKeysWith: { a, _ in a })
        for i in records.indices { if let ref = records[i]["requester_seq"] as? Int { records[i]["requester"] = connects[ref] } }
        let events = records.compactMap { $0["event"] as? String }
        XCTAssertEqual(events.filter { $0 == "set" }.count, 5, "\(events)")
        XCTAssertEqual(events.filter { $0 == "del" }.count, 1, "\(events)")
        for e in ["genesis", "start", "unlock", "get", "relock", "checkpoint"] { XCTAssertTrue(events.contains(e), "\(e) missing: \(events)") }

        let get = try XCTUnwrap(records.first { $0["event"] as? String == "get" })
        XCTAssertEqual(((get["keys"] as? [[String: Any]])?.first?["result"]) as? String, "granted")
        let requester = try XCTUnwrap(get["requester"] as? [String: Any])
        XCTAssertEqual(requester["uid"] as? Int, Int(geteuid()))
        XCTAssertEqual(requester["command"] as? String, "get")
        XCTAssertTrue((requester["exe"] as? String)?.hasSuffix("/keyrack") == true, "\(requester)")
        XCTAssertEqual(requester["verified"] as? Bool, true)
        let parent = try XCTUnwrap(requester["parent"] as? [String: Any])
        XCTAssertEqual(parent["pid"] as? Int, pythonPID)
        XCTAssertEqual(parent["exe"] as? String, pythonExe)
        XCTAssertTrue((parent["argv0"] as? String)?.contains("python3") == true, "\(parent)")
        // argv is cut to argv[0]: the script's path and its arguments are not in the record.
        XCTAssertFalse(text.contains("wants-key.py"))

        let set = try XCTUnwrap(records.first { $0["event"] as? String == "set" })
        XCTAssertEqual(set["slug"] as? String, "acme.test.K0")

        // unlock handed the daemon the manifest's checkpoint key and named the recipient used;
        // the relock checkpoint is signed with it, and verify --manifest pins that key.
        let keyRecord = try XCTUnwrap(records.first { $0["event"] as? String == "checkpoint-key" })
        XCTAssertTrue((keyRecord["recipient"] as? String)?.hasPrefix("primary (ssh, ") == true, "\(keyRecord)")
        let checkpoint = try XCTUnwrap(records.last { $0["event"] as? String == "checkpoint" })
        XCTAssertEqual(checkpoint["key"] as? String, keyRecord["checkpoint_key"] as? String)
        XCTAssertNotNil(checkpoint["sig"] as? String)
        let ok = try h.ok(["audit", "verify", "--for", "bot", "--manifest"])
        XCTAssertTrue(ok.out.contains("chain intact"), ok.out)
        XCTAssertTrue(ok.out.contains("1 signed with the owner's key"), ok.out)
        let shown = try h.ok(["audit", "--for", "bot", "--key", "acme.test.K0"])
        XCTAssertTrue(shown.out.contains("get  acme.test.K0 granted"), shown.out)
        XCTAssertTrue(shown.out.contains("set  acme.test.K0 os.secure"), shown.out)
        XCTAssertFalse(shown.out.contains("set  acme.test.K1"), "--key filters: \(shown.out)")
        XCTAssertTrue(shown.out.contains(pythonExe), shown.out)

        // One byte changed in the get record: verify names the line after it, exit 1.
        let getLine = try XCTUnwrap(text.split(separator: "\n").firstIndex { $0.contains("\"event\":\"get\"") })
        try text.replacingOccurrences(of: "\"result\":\"granted\"", with: "\"result\":\"grantee\"").write(to: logURL, atomically: false, encoding: .utf8)
        let bad = try h.keyrack(["audit", "verify", "--for", "bot"])
        XCTAssertEqual(bad.status, 1, "\(bad)")
        XCTAssertTrue(bad.err.contains("line \(getLine + 2): prev does not match the SHA-256 of line \(getLine + 1)"), bad.err)
        XCTAssertEqual(bad.err.split(separator: "\n").count, 1, bad.err)
        // With --json: the report, and the error object every failing command prints, whose
        // message is the stderr line above.
        let badJSON = try h.keyrack(["audit", "verify", "--for", "bot", "--json"])
        XCTAssertEqual(badJSON.status, 1, "\(badJSON)")
        let object = try ManifestHarness.json(badJSON)
        XCTAssertEqual(object["ok"] as? Bool, false)
        let error = try XCTUnwrap(object["error"] as? [String: Any], "\(object)")
        XCTAssertEqual(error["code"] as? String, "failure")
        XCTAssertEqual(error["exit"] as? Int, 1)
        XCTAssertEqual("error: \(error["message"] as? String ?? "")\n", bad.err)
        XCTAssertEqual((object["fault"] as? [String: Any])?["line"] as? Int, getLine + 2)
    }

    /// While the daemon runs it holds the log's flock (one write(2) per record, no flock or
    /// fstat around it), so `set` and `del` hand it their records: each is in the chain, names the
    /// CLI process as its requester (kernel-checked), and the command does not wait on the lock.
    func testSetAndDelWhileTheDaemonRunsAreRecordedByItWithTheCLIAsRequester() throws {
        let values = (0..<2).map { "value-\($0)-" + UUID().uuidString }
        try h.unlockedOwner("bot", [("K0", values[0])])
        let daemon = try XCTUnwrap(h.daemonPID("bot"))
        let started = Date()
        let set = try h.secure("bot", "K1", values[1])
        let del = try h.ok(["del", "--for", "bot", "--key", "K1", "--env", "test", "--org", "acme"])
        XCTAssertLessThan(Date().timeIntervalSince(started), 2.5, "neither waited on the daemon's lock")
        XCTAssertFalse((set.err + del.err).contains("warning"), set.err + del.err)
        XCTAssertEqual(h.daemonPID("bot"), daemon, "the same daemon ran throughout")
        let records = try h.shownAuditRecords("bot")
        for (event, slug) in [("set", "acme.test.K1"), ("del", "acme.test.K1")] {
            let r = try XCTUnwrap(records.last { $0["event"] as? String == event && $0["slug"] as? String == slug }, "\(records)")
            XCTAssertNotNil(r["requester_seq"], "written by the daemon: \(r)")
            let requester = try XCTUnwrap(r["requester"] as? [String: Any])
            XCTAssertEqual(requester["command"] as? String, event, "\(requester)")
            XCTAssertEqual(requester["verified"] as? Bool, true)
        }
        XCTAssertEqual(records.last { $0["event"] as? String == "set" && $0["slug"] as? String == "acme.test.K1" }?["vault"] as? String, "os.secure")
        let text = try String(contentsOf: logURL, encoding: .utf8)
        for v in values { XCTAssertFalse(text.contains(v), "a value reached the log") }
        XCTAssertTrue(try h.ok(["audit", "verify", "--for", "bot"]).out.contains("chain intact"))
    }

    func testASymlinkedAccessLogStopsTheDaemonFromStarting() throws {
        try h.sshOwner("bot")
        try h.secure("bot", "K", "v")
        try? FileManager.default.removeItem(at: logURL)
        let target = h.machine.dir.file("elsewhere.jsonl")
        FileManager.default.createFile(atPath: target.path, contents: Data())
        try FileManager.default.createSymbolicLink(at: logURL, withDestinationURL: target)
        let r = try h.keyrack(["unlock", "--for", "bot", "--env", "test"])
        XCTAssertNotEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.err.contains("symbolic link"), r.err)
        XCTAssertEqual(try String(contentsOf: target, encoding: .utf8), "", "nothing was written through the link")

        // Anchoring an ssh owner's log on a TPM: refused, with the command a YubiKey owner runs.
        let anchor = try h.keyrack(["audit", "anchor", "--for", "bot", "--via", "tpm"])
        XCTAssertEqual(anchor.status, 1, anchor.description)
        XCTAssertTrue(anchor.err.hasPrefix("error: 'bot' is not a TPM owner here (no "), anchor.err)
        XCTAssertTrue(anchor.err.hasSuffix("): use `keyrack audit anchor --slot 9a` for a YubiKey owner\n"), anchor.err)
    }

    func testSIGKILLOfTheDaemonUnderLoadLosesNoAnsweredRecord() throws {
        try h.sshOwner("bot")
        try h.ok(["daemon", "bench", "--for", "bot", "--seed"])
        let pid = try XCTUnwrap(h.daemonPID("bot"))
        let load = try h.watched(["daemon", "bench", "--for", "bot", "--clients", "4", "--milliseconds", "20000"])
        func getRecords() -> Int {
            let text = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
            return text.components(separatedBy: "\"event\":\"get\"").count - 1
        }
        // Killed while GETs are being answered: once the log shows a few hundred of them.
        let deadline = Date().addingTimeInterval(20)
        while getRecords() < 300, Date() < deadline { usleep(10_000) }
        XCTAssertEqual(kill(pid, SIGKILL), 0)
        let r = load.finish(seconds: 30)
        XCTAssertTrue(h.waitUntilGone(pid))
        let result = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any], "\(r)")
        let answered = try XCTUnwrap(result["requests"] as? Int)
        XCTAssertGreaterThanOrEqual(answered, 300)
        // Every GET that was answered was recorded first; at most one per client more (written,
        // then the daemon died before its reply left).
        let recorded = getRecords()
        XCTAssertGreaterThanOrEqual(recorded, answered)
        XCTAssertLessThanOrEqual(recorded, answered + 4)
        // The next daemon takes the chain over (trimming a record cut mid-write, if any).
        try h.ok(["daemon", "bench", "--for", "bot", "--seed"])
        let ok = try h.ok(["audit", "verify", "--for", "bot"])
        XCTAssertTrue(ok.out.contains("chain intact"), ok.out)
    }
}
