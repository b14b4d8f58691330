@testable import KeyrackDaemon
import Foundation
import TestSupport
import XCTest
import KeyrackNames

/// A live server in this process, on a socket in a private temp directory, spoken to by the real
/// client and by raw bytes: garbage never crashes or stalls it, a silent client does not block
/// others, and the kernel's SO_PEERCRED decides who may talk at all.
final class DaemonServerTests: XCTestCase {
    private var dir: TempDirectory!
    private var servers: [DaemonServer] = []

    override func setUpWithError() throws {
        // Short path: sun_path holds 107 bytes.
        dir = try TempDirectory("krd")
    }

    override func tearDown() {
        for s in servers { s.stop(); s.waitUntilStopped() }
        servers = []
        dir.remove()
    }

    private func startServer(owner: String = "bot", allowedUID: uid_t = geteuid(), clientTimeout: Int = 2000) throws -> (DaemonServer, DaemonClient) {
        let runtime = RuntimeDirectory(path: dir.path + "/rt")
        try runtime.prepare()
        var c = DaemonServer.Configuration(owner: owner, socketPath: runtime.socket(owner: owner),
                                           pidPath: runtime.pidFile(owner: owner), allowedUID: allowedUID)
        c.clientTimeoutMilliseconds = clientTimeout
        c.idleExitMilliseconds = nil
        let server = DaemonServer(configuration: c, log: { _ in })
        try server.start()
        servers.append(server)
        return (server, DaemonClient(owner: owner, runtime: runtime))
    }

    private func put(_ client: DaemonClient, _ slug: String, _ value: String) throws {
        let r = try client.send(.unlock([GrantRequest(slug: Slug(parsing: slug)!, vault: "os.secure", ttlMilliseconds: 600_000, value: Array(value.utf8))], catalog: nil))
        guard case .unlocked(let stored) = r else { return XCTFail("\(r)") }
        XCTAssertEqual(stored.map(\.slug.description), [slug])
        XCTAssertEqual(stored.map(\.remainingMilliseconds), [600_000])
        XCTAssertEqual(stored.map(\.vault), ["os.secure"])
    }

    private func getValue(_ client: DaemonClient, _ key: String) throws -> String? {
        guard case .got(let results) = try client.send(.get([Query(key: key)])),
              case .granted(_, let value)? = results.first else { return nil }
        return String(decoding: value, as: UTF8.self)
    }

    func testASandboxedDaemonTakesGrantsFromTheHostButGivesValuesOnlyToItsSandboxes() throws {
        let (server, client) = try startServer()
        try put(client, "acme.test.API", "value-1")
        XCTAssertEqual(try getValue(client, "acme.test.API"), "value-1")
        guard case .sandboxAccepted = try client.send(.requireSandbox) else { return XCTFail() }
        XCTAssertTrue(server.requiresSandbox)
        // This process is on the host: a GET is refused with the sandbox code, and counted.
        XCTAssertThrowsError(try client.send(.get([Query(key: "acme.test.API")]))) { error in
            guard case DaemonError.sandboxRefused(let owner, let reason)? = error as? DaemonError else { return XCTFail("\(error)") }
            XCTAssertEqual(owner, "bot")
            XCTAssertTrue(reason.hasPrefix("the keys of 'bot' go only to its own sandboxes; this process (pid \(getpid())) is outside any sandbox"), reason)
        }
        XCTAssertEqual(server.deniedCount, 1)
        // Managing it from the host still works: unlock, status, relock.
        try put(client, "acme.test.DB", "value-2")
        guard case .status(let st) = try client.send(.status) else { return XCTFail() }
        XCTAssertEqual(st.grants.count, 2)
        // And a registration names a sandbox, never a process of the host.
        XCTAssertThrowsError(try client.send(.registerSandbox(pid: getpid()))) { error in
            guard case DaemonError.protocolError(.rejected, let message)? = error as? DaemonError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("is not a sandbox"), message)
        }
    }

    func testUnlockGetStatusRelockOverTheSocket() throws {
        let (_, client) = try startServer()
        guard case .pong(let pid, let owner) = try client.send(.ping) else { return XCTFail() }
        XCTAssertEqual(pid, getpid()); XCTAssertEqual(owner, "bot")
        try put(client, "acme.test.API", "value-1")
        XCTAssertEqual(try getValue(client, "acme.test.API"), "value-1")
        guard case .status(let st) = try client.send(.status) else { return XCTFail() }
        XCTAssertEqual(st.grants.map(\.slug.description), ["acme.test.API"])
        guard case .relocked(let gone) = try client.send(.relock(env: nil, key: nil)) else { return XCTFail() }
        XCTAssertEqual(gone.map(\.description), ["acme.test.API"])
        XCTAssertNil(try getValue(client, "acme.test.API"))
    }

    /// An UNLOCK leaves what the client need not wait for to the connection, to free after the
    /// reply is sent: the decoded grants' value arrays are zeroed before the reply is made, the
    /// grants it replaced are wiped (in place, under the store's lock) and handed over, not
    /// freed, and the reply names the grants as stored. A refused unlock hands nothing over.
    func testAnUnlockWipesAtOnceAndLeavesTheFreeingForAfterTheReply() throws {
        let server = DaemonServer(configuration: DaemonServer.Configuration(owner: "bot", socketPath: dir.path + "/none.sock"), log: { _ in })
        let connection = DaemonServer.ConnectionAudit(fd: -1, cred: PeerCredentials())
        let grants = (0..<100).map { GrantRequest(slug: Slug(parsing: "acme.test.K\($0)")!, vault: "os.secure", ttlMilliseconds: 60_000, value: Array("old-\($0)".utf8)) }
        var first = DaemonServer.AfterReply()
        _ = server.unlock(grants, catalog: nil, connection: connection, afterReply: &first)
        XCTAssertTrue(first.replaced.isEmpty)
        let old = try grants.map { try XCTUnwrap(server.store._storage(for: $0.slug)) }

        let again = grants.map { GrantRequest(slug: $0.slug, vault: $0.vault, ttlMilliseconds: 90_000, value: Array("new-\($0.slug.key)".utf8)) }
        var after = DaemonServer.AfterReply()
        let body = server.unlock(again, catalog: nil, connection: connection, afterReply: &after)
        XCTAssertTrue(again.allSatisfy { $0.value.allSatisfy { $0 == 0 } }, "the decoded values are zeroed before the reply")
        XCTAssertEqual(after.replaced.map(ObjectIdentifier.init), old.map(ObjectIdentifier.init), "the replaced storage is handed over, not freed")
        XCTAssertTrue(after.replaced.allSatisfy(\.isZeroed), "and wiped already")
        guard case .unlocked(let stored) = try Response.decode(body: body, unlocking: again) else { return XCTFail() }
        XCTAssertEqual(stored.map(\.remainingMilliseconds), Array(repeating: 90_000, count: 100))
        guard case .granted(_, let value) = server.store.lookup(key: "acme.test.K7") else { return XCTFail() }
        XCTAssertEqual(value, Array("new-K7".utf8))

        let tooMany = (0..<GrantStore.maximumGrants).map { GrantRequest(slug: Slug(parsing: "acme.prod.K\($0)")!, vault: "v", ttlMilliseconds: 1, value: [1]) }
        var refused = DaemonServer.AfterReply()
        guard case .error(.rejected, let why) = try Response.decode(body: server.unlock(tooMany, catalog: nil, connection: connection, afterReply: &refused)) else { return XCTFail() }
        XCTAssertTrue(why.contains("\(GrantStore.maximumGrants)"), why)
        XCTAssertTrue(refused.replaced.isEmpty)
        XCTAssertEqual(server.store.status().count, 100, "a refused unlock stores nothing")
    }

    func testSocketAndDirectoryModes() throws {
        let (_, client) = try startServer()
        var st = stat()
        XCTAssertEqual(stat(client.socketPath, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        XCTAssertEqual(stat(client.runtime.path, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o700)
        let pid = try String(contentsOfFile: client.runtime.pidFile(owner: "bot"), encoding: .utf8)
        XCTAssertEqual(pid, "\(getpid())\n")
    }

    func testSecondServerForTheSameOwnerIsRefusedAndStaleSocketIsCleaned() throws {
        let (first, client) = try startServer()
        let again = DaemonServer(configuration: first.configuration, log: { _ in })
        XCTAssertThrowsError(try again.start()) { error in
            XCTAssertEqual(error as? DaemonError, .alreadyRunning(owner: "bot", pid: getpid()))
        }
        first.stop(); first.waitUntilStopped(); servers.removeAll()
        XCTAssertEqual(access(client.socketPath, F_OK), -1, "socket removed at stop")
        // A dead daemon's socket file: the next start must replace it.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let addr = UnixSocket.address(client.socketPath)!
        XCTAssertEqual(UnixSocket.withAddress(addr) { bind(fd, $0, $1) }, 0)
        close(fd)
        XCTAssertThrowsError(try client.send(.ping)) { XCTAssertEqual(($0 as? DaemonError).map { if case .noDaemon = $0 { return true } else { return false } }, true) }
        let (_, client2) = try startServer()
        guard case .pong = try client2.send(.ping) else { return XCTFail() }
    }

    func testNoDaemonIsItsOwnError() throws {
        let client = DaemonClient(owner: "nobody-here", runtime: RuntimeDirectory(path: dir.path))
        XCTAssertThrowsError(try client.send(.ping)) { error in
            XCTAssertEqual(error as? DaemonError, .noDaemon(owner: "nobody-here", socket: dir.path + "/daemon.nobody-here.sock"))
        }
    }

    func testPeerOfAnotherUIDIsDeniedAndLogged() throws {
        // The test runs as one uid; a daemon that admits only another uid must deny it.
        let other: uid_t = geteuid() == 4242 ? 4243 : 4242
        var lines: [String] = []
        let lock = NSLock()
        let runtime = RuntimeDirectory(path: dir.path + "/rt")
        try runtime.prepare()
        var c = DaemonServer.Configuration(owner: "mechanic", socketPath: runtime.socket(owner: "mechanic"), allowedUID: other)
        c.idleExitMilliseconds = nil
        let server = DaemonServer(configuration: c, log: { line in lock.lock(); lines.append(line); lock.unlock() })
        try server.start()
        servers.append(server)
        let client = DaemonClient(owner: "mechanic", runtime: runtime)
        for request in [Request.ping, .status, .get([Query(key: "a.b.C")]), .unlock([GrantRequest(slug: Slug(parsing: "a.b.C")!, vault: "x", ttlMilliseconds: 1, value: Array("must-not-log".utf8))], catalog: nil)] {
            XCTAssertThrowsError(try client.send(request)) { error in
                guard case DaemonError.denied(let owner, let reason)? = error as? DaemonError else { return XCTFail("\(error)") }
                XCTAssertEqual(owner, "mechanic")
                XCTAssertTrue(reason.contains("uid \(geteuid())"), reason)
            }
        }
        XCTAssertEqual(server.deniedCount, 4)
        XCTAssertEqual(server.store.status(), [], "a denied UNLOCK must store nothing")
        lock.lock(); defer { lock.unlock() }
        let denied = lines.filter { $0.hasPrefix("denied") }
        // Denials are logged at most once a second (a flood must not grow the log without bound).
        XCTAssertTrue((1...4).contains(denied.count), "\(denied)")
        XCTAssertTrue(denied[0].contains("uid=\(geteuid()) pid=\(getpid()) exe=/"), denied[0])
        XCTAssertFalse(lines.joined().contains("must-not-log"))
    }

    func testSilentClientTimesOutWithoutBlockingOthers() throws {
        let (_, client) = try startServer(clientTimeout: 400)
        try put(client, "acme.test.API", "v")
        let silent = try client.connect()
        // While the silent connection sits there, others are served.
        for _ in 0..<20 { XCTAssertEqual(try getValue(client, "acme.test.API"), "v") }
        // Then the silent one is told it timed out (or closed), within its budget.
        let started = Clock.bootMilliseconds()
        let reply = try? silent.readResponse()
        if let reply {
            guard case .error(.timeout, _) = reply else { return XCTFail("\(reply)") }
        }
        XCTAssertLessThan(Clock.bootMilliseconds() - started, 5000)
        XCTAssertEqual(try getValue(client, "acme.test.API"), "v")
    }

    func testTrickledFrameIsCutOffAtTheFrameDeadline() throws {
        let (_, client) = try startServer(clientTimeout: 300)
        let c = try client.connect()
        // Header promising 100 bytes, then one byte at a time, slower than the deadline allows.
        try c.sendRaw([0, 0, 0, 100])
        var cutOff = false
        for _ in 0..<100 {
            if (try? c.sendRaw([1])) == nil { cutOff = true; break }
            var pfd = pollfd(fd: -1, events: 0, revents: 0)
            _ = poll(&pfd, 0, 50)
        }
        if !cutOff { XCTAssertNotNil(try? c.readResponse() as Any?) }
        try put(client, "acme.test.X", "still-serving")
        XCTAssertEqual(try getValue(client, "acme.test.X"), "still-serving")
    }

    func testTenThousandGarbageFramesLeaveItAnswering() throws {
        let (server, client) = try startServer(clientTimeout: 200)
        try put(client, "acme.test.API", "survivor")
        var rng = SystemRandomNumberGenerator()
        var errorReplies = 0
        var persistent = try client.connect()
        for i in 0..<10_000 {
            let kind = i % 5
            var bytes: [UInt8]
            switch kind {
            case 0: // pure noise of random length
                bytes = (0..<Int.random(in: 1..<40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            case 1: // well-delimited frame, garbage body, valid version
                let n = Int.random(in: 2..<64, using: &rng)
                var body = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
                body[0] = Protocol.version; body[1] = UInt8.random(in: 0...8, using: &rng)
                // Garbage, not orders: a lucky valid STOP or RELOCK would be a real request.
                if body[1] == 0x05 || body[1] == 0x06 { body[1] = 0x07 }
                bytes = [0, 0, 0, UInt8(n)] + body
            case 2: // oversized length
                bytes = [UInt8.random(in: 0x01...0xff, using: &rng), 0, 0, 0]
            case 3: // truncated: promises more than it sends
                bytes = [0, 0, 0, 50, Protocol.version, 3, 0, 0]
            default: // a valid request with one byte flipped
                var body = Request.get([Query(key: "acme.test.API")]).encodeBody()
                let at = Int.random(in: 0..<body.count, using: &rng)
                body[at] ^= UInt8.random(in: 1...255, using: &rng)
                if at == 1 && (body[1] == 0x05 || body[1] == 0x06) { body[1] = 0x07 }
                bytes = [0, 0, 0, UInt8(body.count)] + body
            }
            if kind == 1 || kind == 4 {
                // Delimited frames go on one long-lived connection, which must keep working.
                do {
                    try persistent.sendRaw(bytes)
                    if case .error? = try persistent.readResponse() { errorReplies += 1 }
                } catch {
                    persistent = try client.connect()
                }
            } else {
                let c = try client.connect()
                try? c.sendRaw(bytes)
                if kind == 2 { _ = try? c.readResponse() }  // the others just hang up mid-frame
            }
        }
        XCTAssertGreaterThan(errorReplies, 1000, "delimited garbage must get error replies")
        XCTAssertEqual(try getValue(client, "acme.test.API"), "survivor")
        guard case .pong = try persistent.send(.ping) else { return XCTFail("the long-lived connection stopped answering") }
        XCTAssertEqual(server.store.status().map(\.slug.description), ["acme.test.API"])
    }

    func testConcurrentClientsAllGetTheirAnswers() throws {
        let (_, client) = try startServer()
        try put(client, "acme.test.API", "shared")
        let failures = NSLock()
        var bad = 0
        DispatchQueue.concurrentPerform(iterations: 64) { _ in
            for _ in 0..<50 {
                if (try? self.getValue(client, "acme.test.API")) != "shared" { failures.lock(); bad += 1; failures.unlock() }
            }
        }
        XCTAssertEqual(bad, 0)
    }

    func testRuntimeDirectoryRefusesLooseModeOtherOwnerAndSymlink() throws {
        let loose = dir.path + "/loose"
        XCTAssertEqual(mkdir(loose, 0o755), 0); chmod(loose, 0o755)
        XCTAssertThrowsError(try RuntimeDirectory(path: loose).prepare()) { XCTAssertTrue("\($0)".contains("mode 755"), "\($0)") }

        let foreign = dir.path + "/foreign"
        XCTAssertEqual(mkdir(foreign, 0o700), 0)
        if geteuid() == 0 {
            XCTAssertEqual(chown(foreign, 65534, 65534), 0)
            XCTAssertThrowsError(try RuntimeDirectory(path: foreign).prepare()) { XCTAssertTrue("\($0)".contains("belongs to uid 65534"), "\($0)") }
        }

        let link = dir.path + "/link"
        XCTAssertEqual(symlink(dir.path, link), 0)
        XCTAssertThrowsError(try RuntimeDirectory(path: link).prepare()) { XCTAssertTrue("\($0)".contains("not a directory"), "\($0)") }

        let fresh = RuntimeDirectory(path: dir.path + "/fresh")
        XCTAssertNoThrow(try fresh.prepare())
        var st = stat(); stat(fresh.path, &st)
        XCTAssertEqual(st.st_mode & 0o777, 0o700)
    }
}
