import Foundation
@testable import KeyrackApp
@testable import KeyrackDaemon
import XCTest
import KeyrackNames

/// A live daemon server in this process writing its access log: each event gives its record
/// with the requester the kernel names, no value ever reaches the file, many concurrent clients
/// leave one verifiable chain, and a caller of another uid is recorded with its uid.
final class AuditDaemonTests: XCTestCase {
    private var dir: String!
    private var servers: [DaemonServer] = []

    override func setUpWithError() throws {
        dir = "/tmp/kad-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
        XCTAssertEqual(mkdir(dir, 0o700), 0)
        XCTAssertEqual(mkdir(dir + "/home", 0o700), 0)
    }

    override func tearDown() {
        for s in servers { s.stop(); s.waitUntilStopped() }
        servers = []
        try? FileManager.default.removeItem(atPath: dir)
    }

    private func start(owner: String = "bot", allowedUID: uid_t = geteuid(), store: GrantStore = GrantStore(), every: UInt64 = 1000) throws -> (DaemonServer, DaemonClient) {
        let runtime = RuntimeDirectory(path: dir + "/rt")
        try runtime.prepare()
        var c = DaemonServer.Configuration(owner: owner, socketPath: runtime.socket(owner: owner), pidPath: runtime.pidFile(owner: owner), allowedUID: allowedUID)
        c.idleExitMilliseconds = nil
        c.sweepMilliseconds = 20
        c.audit = try AuditLog(home: dir + "/home", owner: owner, checkpointEvery: every)
        let server = DaemonServer(configuration: c, store: store, log: { _ in })
        try server.start()
        servers.append(server)
        return (server, DaemonClient(owner: owner, runtime: runtime))
    }

    private func records(_ owner: String = "bot") throws -> [[String: Any]] {
        AuditShow.parse(try AuditRecords.read(home: dir + "/home", owner: owner).log).map(\.dictionary)
    }

    private func verify(_ owner: String = "bot") throws -> AuditVerifier.Report {
        let f = try AuditRecords.read(home: dir + "/home", owner: owner)
        return AuditVerifier.verify(log: f.log, anchor: f.anchor, owner: owner)
    }

    func testEachEventIsRecordedWithTheRequesterAndNoValueEver() throws {
        // The store's clock is @Sendable: the test's time lives in a box read under its lock.
        final class TestClock: @unchecked Sendable { let lock = NSLock(); var now: UInt64 = 1_000_000 }
        let clock = TestClock()
        let store = GrantStore(now: { clock.lock.lock(); defer { clock.lock.unlock() }; return clock.now })
        let (server, client) = try start(store: store)
        // 100 values, each random, unlocked (half for a short TTL), each fetched.
        let values = (0..<100).map { _ in "v-" + UUID().uuidString }
        let grants = values.enumerated().map { i, v in
            GrantRequest(slug: Slug(parsing: "acme.test.K\(i)")!, vault: "os.secure", ttlMilliseconds: i < 50 ? 1_000 : 600_000, value: Array(v.utf8))
        }
        guard case .unlocked = try client.send(.unlock(grants, catalog: grants.map(\.slug))) else { return XCTFail() }
        for i in 0..<100 {
            guard case .got(let r) = try client.send(.get([Query(key: "acme.test.K\(i)")])), case .granted = r.first else { return XCTFail("K\(i)") }
        }
        _ = try client.send(.get([Query(key: "acme.test.NOPE")]))
        // Time passes for the short grants: the sweep records their expiry.
        clock.lock.lock(); clock.now += 2_000; clock.lock.unlock()
        let deadline = Date().addingTimeInterval(5)
        while try !records().contains(where: { $0["event"] as? String == "expiry" }), Date() < deadline { usleep(5_000) }
        guard case .relocked = try client.send(.relock(env: nil, key: nil)) else { return XCTFail() }
        server.stop(); server.waitUntilStopped()

        let all = try records()
        let events = all.compactMap { $0["event"] as? String }
        XCTAssertEqual(events.first, "genesis")
        for e in ["start", "unlock", "get", "expiry", "relock", "checkpoint", "stop"] { XCTAssertTrue(events.contains(e), "\(e) missing from \(events)") }
        XCTAssertEqual(events.last, "checkpoint")

        let unlock = try XCTUnwrap(all.first { $0["event"] as? String == "unlock" })
        let keys = try XCTUnwrap(unlock["keys"] as? [[String: Any]])
        XCTAssertEqual(keys.count, 100)
        // The whole catalog's size, although none of its slugs travelled (all are granted).
        XCTAssertEqual(unlock["catalog"] as? Int, 100)
        XCTAssertEqual(keys[0]["slug"] as? String, "acme.test.K0")
        XCTAssertEqual(keys[0]["ttl_seconds"] as? Int, 1)
        XCTAssertEqual(keys[99]["ttl_seconds"] as? Int, 600)

        let gets = all.filter { $0["event"] as? String == "get" }
        XCTAssertEqual(gets.count, 101)
        let first = try XCTUnwrap((gets[0]["keys"] as? [[String: Any]])?.first)
        XCTAssertEqual(first["result"] as? String, "granted")
        XCTAssertEqual(((gets[100]["keys"] as? [[String: Any]])?.first?["result"]) as? String, "absent")
        let requester = try XCTUnwrap(gets[0]["requester"] as? [String: Any])
        XCTAssertEqual(requester["uid"] as? Int, Int(geteuid()))
        XCTAssertEqual(requester["pid"] as? Int, Int(getpid()))
        XCTAssertEqual(requester["exe"] as? String, try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        XCTAssertEqual(requester["verified"] as? Bool, true)
        XCTAssertEqual((requester["parent"] as? [String: Any])?["pid"] as? Int, Int(getppid()))
        XCTAssertNotNil(requester["cgroup"] as? String)

        let expiry = try XCTUnwrap(all.first { $0["event"] as? String == "expiry" })
        XCTAssertEqual((expiry["slugs"] as? [String])?.count, 50)

        let text = try String(contentsOfFile: AuditLog.logPath(home: dir + "/home", owner: "bot"), encoding: .utf8)
        for v in values { XCTAssertFalse(text.contains(v), "a value reached the log") }
        XCTAssertNil(try verify().fault)
    }

    func testManyConcurrentClientsLeaveOneVerifiableChain() throws {
        let (_, client) = try start(every: 100)
        let put = GrantRequest(slug: Slug(parsing: "acme.test.API")!, vault: "os.secure", ttlMilliseconds: 600_000, value: Array("x".utf8))
        _ = try client.send(.unlock([put], catalog: nil))
        let failures = NSLock(); var failed = 0
        DispatchQueue.concurrentPerform(iterations: 32) { _ in
            guard let c = try? client.connect() else { failures.lock(); failed += 1; failures.unlock(); return }
            for _ in 0..<50 {
                guard case .got(let r)? = try? c.send(.get([Query(key: "acme.test.API")])), case .granted = r.first else {
                    failures.lock(); failed += 1; failures.unlock(); return
                }
            }
        }
        XCTAssertEqual(failed, 0)
        let report = try verify()
        XCTAssertNil(report.fault, "\(String(describing: report.fault))")
        XCTAssertEqual(try records().filter { $0["event"] as? String == "get" }.count, 32 * 50)
        XCTAssertGreaterThanOrEqual(report.checkpoints, 16)
    }

    func testAGetWhoseRecordCannotBeWrittenIsRefused() throws {
        // KEYRACK_HOME on a small tmpfs (the tests run as root in a private mount namespace).
        let home = dir + "/home"
        XCTAssertEqual(mount("tmpfs", home, "tmpfs", 0, "size=64k,mode=0700"), 0, "mount: \(String(cString: strerror(errno)))")
        defer { umount2(home, Int32(MNT_DETACH)) }
        let (_, client) = try start()
        let value = "v-" + UUID().uuidString
        _ = try client.send(.unlock([GrantRequest(slug: Slug(parsing: "acme.test.API")!, vault: "os.secure", ttlMilliseconds: 600_000, value: Array(value.utf8))], catalog: nil))
        guard case .got(let ok) = try client.send(.get([Query(key: "acme.test.API")])), case .granted = ok.first else { return XCTFail("before the disk fills") }
        // Fill the file system: once the log's last page is full too, a record has nowhere to go.
        let filler = open(home + "/fill", O_WRONLY | O_CREAT, 0o600)
        let block = [UInt8](repeating: 0x41, count: 4096)
        while write(filler, block, block.count) > 0 {}
        while write(filler, block, 1) > 0 {}
        close(filler)
        func getRecords() throws -> Int {
            // Complete lines only: a record cut by ENOSPC mid-write is trimmed by the next append.
            try String(contentsOfFile: AuditLog.logPath(home: home, owner: "bot"), encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: false).dropLast().filter { $0.contains("\"event\":\"get\"") }.count
        }
        let recordedBefore = try getRecords()
        var granted = 0
        var refusal: (ErrorCode, String)?
        for _ in 0..<200 {
            let reply: Response
            do { reply = try client.send(.get([Query(key: "acme.test.API")])) } catch DaemonError.protocolError(let code, let message) {
                refusal = (code, message); break
            }
            guard case .got(let r) = reply, case .granted = r.first else { return XCTFail("\(reply)") }
            granted += 1
        }
        // Every value handed out while the page had room was recorded; then the GET is refused.
        XCTAssertEqual(try getRecords() - recordedBefore, granted)
        let (code, message) = try XCTUnwrap(refusal, "200 GETs answered on a full file system")
        XCTAssertEqual(code, .rejected)
        XCTAssertTrue(message.contains("cannot be written, so no value is handed out"), message)
        XCTAssertFalse(message.contains(value))
        // Room again: served and recorded again.
        unlink(home + "/fill")
        guard case .got(let again) = try client.send(.get([Query(key: "acme.test.API")])), case .granted = again.first else { return XCTFail("after space is freed") }
        XCTAssertNil(try verify().fault)
    }

    func testACallerOfAnotherUIDIsRecordedWithItsUID() throws {
        let other: uid_t = geteuid() == 4242 ? 4243 : 4242
        let (_, client) = try start(owner: "mechanic", allowedUID: other)
        XCTAssertThrowsError(try client.send(.get([Query(key: "a.b.C")])))
        let denied = try XCTUnwrap(try records("mechanic").first { $0["event"] as? String == "denied" })
        let requester = try XCTUnwrap(denied["requester"] as? [String: Any])
        XCTAssertEqual(requester["uid"] as? Int, Int(geteuid()))
        XCTAssertEqual(requester["pid"] as? Int, Int(getpid()))
        XCTAssertTrue((denied["reason"] as? String)?.contains("only uid \(other)") == true, "\(denied)")
        XCTAssertNil(try verify("mechanic").fault)
    }
}
