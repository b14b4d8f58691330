import Foundation
@testable import KeyrackApp
@testable import KeyrackDaemon
import XCTest

/// The access log's file and chain (KeyrackDaemon's AuditLog) against its verifier (KeyrackApp's
/// AuditVerifier), on real files: a clean log verifies, and each kind of tampering makes verify
/// name the record; the file is refused when it is a symlink or a FIFO; many writers keep one chain.
final class AuditLogTests: XCTestCase {
    private var home: String!

    override func setUpWithError() throws {
        home = NSTemporaryDirectory() + "kra-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        XCTAssertEqual(mkdir(home, 0o700), 0)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: home) }

    private var logPath: String { AuditLog.logPath(home: home, owner: "bot") }
    private var anchorPath: String { home + "/audit/bot.head" }

    private func writeLog(records: Int, every: UInt64 = 1000, seed: [UInt8]? = nil) throws -> AuditLog {
        let log = try AuditLog(home: home, owner: "bot", checkpointEvery: every)
        if let seed { log.setCheckpointKey(seed: seed) }
        for i in 0..<records {
            var f = AuditFields()
            f.add("key", "acme.test.K\(i)")
            XCTAssertTrue(log.append("get", f, requester: Requester.current().fields))
        }
        return log
    }

    private func verify(expectedKey: String? = nil) throws -> AuditVerifier.Report {
        let files = try AuditRecords.read(home: home, owner: "bot")
        return AuditVerifier.verify(log: files.log, anchor: files.anchor, owner: "bot", expectedKey: expectedKey)
    }

    private func lines() throws -> [String] {
        try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    private func rewrite(_ lines: [String]) throws {
        try lines.joined(separator: "\n").write(toFile: logPath, atomically: false, encoding: .utf8)
    }

    func testCleanLogVerifiesWithSignedCheckpoints() throws {
        let seed = AuditCrypto.randomSeed()
        let log = try writeLog(records: 25, every: 10, seed: seed)
        log.checkpoint(reason: "stop")
        let report = try verify(expectedKey: AuditCrypto.hex(AuditCrypto.signingKey(seed: seed)!.publicKey))
        XCTAssertNil(report.fault)
        XCTAssertEqual(report.records, 1 + 25 + 3)  // genesis, 25 gets, checkpoints after 10, 20 and at stop
        XCTAssertEqual(report.checkpoints, 3)
        XCTAssertEqual(report.signedCheckpoints, 3)
        var st = stat()
        XCTAssertEqual(stat(logPath, &st), 0); XCTAssertEqual(st.st_mode & 0o777, 0o600)
        XCTAssertEqual(stat(home + "/audit", &st), 0); XCTAssertEqual(st.st_mode & 0o777, 0o700)
    }

    func testFlippedByteIsNamed() throws {
        _ = try writeLog(records: 5)
        var l = try lines()
        l[3] = l[3].replacingOccurrences(of: "acme.test.K2", with: "acme.test.K9")
        try rewrite(l)
        let fault = try XCTUnwrap(try verify().fault)
        XCTAssertEqual(fault.line, 5)
        XCTAssertTrue(fault.problem.contains("line 4 was altered"), fault.problem)
    }

    func testDeletedRecordIsNamed() throws {
        _ = try writeLog(records: 5)
        var l = try lines()
        l.remove(at: 2)
        try rewrite(l)
        let fault = try XCTUnwrap(try verify().fault)
        XCTAssertEqual(fault.line, 3)
        XCTAssertTrue(fault.problem.contains("seq is 3, expected 2"), fault.problem)
    }

    func testReorderedRecordsAreNamed() throws {
        _ = try writeLog(records: 5)
        var l = try lines()
        l.swapAt(2, 3)
        try rewrite(l)
        let fault = try XCTUnwrap(try verify().fault)
        XCTAssertEqual(fault.line, 3)
        XCTAssertTrue(fault.problem.contains("expected 2"), fault.problem)
    }

    func testTailTruncatedPastACheckpointIsDetectedByTheAnchor() throws {
        _ = try writeLog(records: 12, every: 5)  // genesis counts: checkpoints at lines 6 and 12
        var l = try lines()
        XCTAssertEqual(l.indices.filter { l[$0].contains("\"event\":\"checkpoint\"") }, [5, 11])
        l = Array(l[0..<9]) + [""]
        try rewrite(l)
        let fault = try XCTUnwrap(try verify().fault)
        XCTAssertTrue(fault.problem.contains("before checkpoint #2 at line 12"), fault.problem)
        XCTAssertTrue(fault.problem.contains("cut from the tail"), fault.problem)
        // Removing the anchor too is named as well.
        unlink(anchorPath)
        XCTAssertTrue(try XCTUnwrap(try verify().fault).problem.contains("anchor file is missing"))
    }

    func testRewrittenChainIsCaughtByTheSignedCheckpoint() throws {
        let seed = AuditCrypto.randomSeed()
        _ = try writeLog(records: 6, every: 5, seed: seed)  // checkpoint at line 6
        // The attacker edits record 3 and recomputes every prev after it: the chain is whole
        // again, but the checkpoint's signature covered the old head.
        var l = Array(try lines().dropLast())
        l[2] = l[2].replacingOccurrences(of: "acme.test.K1", with: "acme.test.XX")
        for i in 3..<l.count {
            let prev = AuditCrypto.sha256Hex(l[i - 1])
            var rec = l[i]
            let r = rec.range(of: #""prev":"[0-9a-f]{64}""#, options: .regularExpression)!
            rec.replaceSubrange(r, with: "\"prev\":\"\(prev)\"")
            if rec.contains("\"event\":\"checkpoint\"") {
                let h = rec.range(of: #""head":"[0-9a-f]{64}""#, options: .regularExpression)!
                rec.replaceSubrange(h, with: "\"head\":\"\(prev)\"")
            }
            l[i] = rec
        }
        try rewrite(l + [""])
        let fault = try XCTUnwrap(try verify().fault)
        XCTAssertEqual(fault.line, 6)
        XCTAssertTrue(fault.problem.contains("signature does not verify"), fault.problem)
    }

    func testForgedCheckpointWithAnotherKeyIsNamed() throws {
        let seed = AuditCrypto.randomSeed()
        let log = try writeLog(records: 3, every: 1000, seed: seed)
        log.checkpoint(reason: "relock")
        // A checkpoint signed by a key of the forger's own, appended after the genuine one.
        let l = Array(try lines().dropLast())
        let mallory = AuditCrypto.signingKey(seed: AuditCrypto.randomSeed())!
        let head = AuditCrypto.sha256Hex(l.last!)
        let seq = UInt64(l.count)
        let sig = AuditCrypto.sign(AuditCrypto.checkpointMessage(owner: "bot", seq: seq, ordinal: 2, head: head), secretKey: mallory.secretKey)
        let forged = #"{"seq":\#(seq),"time":"2026-01-01T00:00:00.000Z","event":"checkpoint","prev":"\#(head)","ordinal":2,"reason":"stop","head":"\#(head)","key":"\#(AuditCrypto.hex(mallory.publicKey))","sig":"\#(AuditCrypto.hex(sig))"}"#
        try rewrite(l + [forged, ""])
        try (forged + "\n").write(toFile: anchorPath, atomically: true, encoding: .utf8)
        let fault = try XCTUnwrap(try verify().fault)
        XCTAssertEqual(fault.line, l.count + 1)
        XCTAssertTrue(fault.problem.contains("forged"), fault.problem)
        // And with the owner's key pinned, a log forged wholesale with another key fails at once.
        let pinned = try verify(expectedKey: AuditCrypto.hex(mallory.publicKey))
        XCTAssertTrue(try XCTUnwrap(pinned.fault).problem.contains("not the owner's"), pinned.fault?.problem ?? "")
    }

    func testSymlinkAndFIFOInPlaceOfTheLogAreRefused() throws {
        XCTAssertEqual(mkdir(home + "/audit", 0o700), 0)
        XCTAssertEqual(symlink("/etc/passwd", logPath), 0)
        XCTAssertThrowsError(try AuditLog(home: home, owner: "bot")) { e in
            XCTAssertTrue((e as? AuditError)?.problem.contains("symbolic link") == true, "\(e)")
        }
        unlink(logPath)
        XCTAssertEqual(mkfifo(logPath, 0o600), 0)
        XCTAssertThrowsError(try AuditLog(home: home, owner: "bot")) { e in
            XCTAssertTrue((e as? AuditError)?.problem.contains("not a regular file") == true, "\(e)")
        }
        unlink(logPath)
        XCTAssertEqual(chmod(home + "/audit", 0o755), 0)
        XCTAssertThrowsError(try AuditLog(home: home, owner: "bot")) { e in
            XCTAssertTrue((e as? AuditError)?.problem.contains("mode 755") == true, "\(e)")
        }
    }

    func testConcurrentWritersKeepOneChain() throws {
        // Two AuditLog objects on the same file stand for the daemon and a CLI `set`: each
        // appends from 8 threads; the flock and the tail re-read keep a single chain.
        let a = try AuditLog(home: home, owner: "bot", checkpointEvery: 50)
        let b = try AuditLog(home: home, owner: "bot", checkpointEvery: 50)
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            let log = i % 2 == 0 ? a : b
            for j in 0..<100 {
                var f = AuditFields(); f.add("n", i * 1000 + j)
                XCTAssertTrue(log.append("get", f))
            }
        }
        let report = try verify()
        XCTAssertNil(report.fault, "\(report.fault!)")
        XCTAssertEqual(report.records - report.checkpoints, 1 + 1600)
        XCTAssertGreaterThanOrEqual(report.checkpoints, 1600 / 50 / 2)
    }

    func testRotationKeepsOneVerifiableChainAcrossFiles() throws {
        // A 4 KiB cap: the daemon's log rotates every dozen records; a CLI-like follower appends
        // between, from the path it finds.
        let seed = AuditCrypto.randomSeed()
        let daemon = try AuditLog(home: home, owner: "bot", checkpointEvery: 7, maximumBytes: 4096)
        daemon.setCheckpointKey(seed: seed)
        for i in 0..<120 {
            var f = AuditFields(); f.add("key", "acme.test.K\(i)"); f.add("pad", String(repeating: "x", count: 200))
            XCTAssertTrue(daemon.append("get", f))
            if i % 20 == 0 {
                let cli = try AuditLog(home: home, owner: "bot", followsRotation: true)
                var s = AuditFields(); s.add("slug", "acme.test.S\(i)")
                XCTAssertTrue(cli.append("set", s))
            }
        }
        let archived = try FileManager.default.contentsOfDirectory(atPath: home + "/audit").filter { $0.hasPrefix("bot.0") }.sorted()
        XCTAssertGreaterThanOrEqual(archived.count, 5, "\(archived)")
        let report = try verify(expectedKey: AuditCrypto.hex(AuditCrypto.signingKey(seed: seed)!.publicKey))
        XCTAssertNil(report.fault, "\(report.fault!)")
        XCTAssertEqual(try AuditShow.parse(try AuditRecords.read(home: home, owner: "bot").log).map(\.dictionary).filter { $0["event"] as? String == "set" }.count, 6)
        // Retention: the oldest archive removed, the rest still verifies (from its first seq).
        unlink(home + "/audit/" + archived[0])
        let trimmed = try verify()
        XCTAssertNil(trimmed.fault, "\(trimmed.fault!)")
        XCTAssertGreaterThan(trimmed.firstSeq, 0)
        // A file from the middle removed: the chain breaks where it was.
        unlink(home + "/audit/" + archived[2])
        let fault = try XCTUnwrap(try verify().fault)
        XCTAssertTrue(fault.problem.contains("expected"), fault.problem)
    }

    /// The daemon's mode: it takes the file's flock at open and holds it across its records and
    /// rotations (each record is then one write(2), no flock or fstat), so another writer that
    /// waits a bounded time (the CLI) gives up instead of splitting the chain, and writes once
    /// the daemon is gone. Every line carries its seq and an RFC 3339 time with milliseconds.
    func testTheDaemonHoldsTheFileLockAcrossRotationsAndAnotherWriterGivesUp() throws {
        var daemon: AuditLog? = try AuditLog(home: home, owner: "bot", checkpointEvery: 7, maximumBytes: 4096, holdsFileLock: true)
        for i in 0..<60 {
            var f = AuditFields(); f.add("key", "acme.test.K\(i)"); f.add("pad", String(repeating: "x", count: 200))
            XCTAssertTrue(daemon!.append("get", f))
            if i == 30 {
                XCTAssertThrowsError(try AuditLog(home: home, owner: "bot", followsRotation: true, lockWaitMilliseconds: 100)) { error in
                    XCTAssertTrue("\(error)".contains("held by another writer"), "\(error)")
                }
            }
        }
        XCTAssertGreaterThanOrEqual(try FileManager.default.contentsOfDirectory(atPath: home + "/audit").filter { $0.hasPrefix("bot.0") }.count, 3)
        daemon = nil
        let cli = try AuditLog(home: home, owner: "bot", followsRotation: true, lockWaitMilliseconds: 100)
        var s = AuditFields(); s.add("slug", "acme.test.S")
        XCTAssertTrue(cli.append("set", s))
        XCTAssertNil(try verify().fault)
        let records = try AuditShow.parse(try AuditRecords.read(home: home, owner: "bot").log).map(\.dictionary)
        let stamp = try NSRegularExpression(pattern: #"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$"#)
        for (i, r) in records.enumerated() {
            XCTAssertEqual((r["seq"] as? NSNumber)?.intValue, i, "\(r)")
            let time = try XCTUnwrap(r["time"] as? String)
            XCTAssertNotNil(stamp.firstMatch(in: time, range: NSRange(location: 0, length: time.utf16.count)), time)
        }
        XCTAssertEqual(records.filter { $0["event"] as? String == "get" }.count, 60)
    }

    func testFieldsAreEscapedAndEachRecordStaysOneLine() throws {
        let tricky = ["plain.slug", "quote\"back\\slash", "new\nline\r\ttab\u{1}\u{7f}", "é ünïcode \u{2028}"]
        var f = AuditFields()
        for (i, t) in tricky.enumerated() { f.add("k\(i)", t) }
        let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(f.object.utf8)) as? [String: String])
        for (i, t) in tricky.enumerated() { XCTAssertEqual(parsed["k\(i)"], t) }
        XCTAssertFalse(f.object.contains("\n"))
        let log = try AuditLog(home: home, owner: "bot")
        XCTAssertTrue(log.append("get", f))
        XCTAssertEqual(try lines().count, 3)  // genesis, the record, the empty string after the last newline
        XCTAssertNil(try verify().fault)
    }

    func testAPartialLastLineFromAKilledWriterIsTrimmedAndRecorded() throws {
        _ = try writeLog(records: 3)
        let h = FileHandle(forWritingAtPath: logPath)!
        h.seekToEndOfFile()
        h.write(Data(#"{"seq":4,"time":"2026-"#.utf8))
        h.closeFile()
        XCTAssertTrue(try XCTUnwrap(try verify().fault).problem.contains("cut short"))
        let log = try AuditLog(home: home, owner: "bot")
        XCTAssertTrue(log.append("get"))
        let report = try verify()
        XCTAssertNil(report.fault)
        XCTAssertTrue(try lines()[4].contains(#""event":"recovered""#))
    }
}
