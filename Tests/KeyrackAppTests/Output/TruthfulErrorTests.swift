import Foundation
import KeyrackApp
import KeyrackClient
import KeyrackCore
import KeyrackDaemon
import KeyrackNames
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Issue 10, item 7, in-process: the one path of get, exec and source (ValueFetch) says the
/// truth. An over-long or garbled key name is a usage error (exit 2) whose echo carries no
/// control character; a key of an owner never initialised, with no daemon, says so (exit 3);
/// an initialised owner without a daemon is "locked, or never set"; a daemon with every
/// connection slot held says busy. Never the "upgraded" guess.
final class TruthfulErrorTests: XCTestCase {
    private var dir: TempDirectory!
    private let env = EnvironmentOverride()

    override func setUpWithError() throws {
        dir = try TempDirectory("keyrack-truth")
        // A home of this test's, and a runtime directory where no daemon runs.
        try FileManager.default.createDirectory(at: dir.file("run"), withIntermediateDirectories: true)
        env.set("KEYRACK_HOME", dir.file("kr").path)
        env.set("XDG_RUNTIME_DIR", dir.file("run").path)
    }

    override func tearDown() {
        env.restore()
        dir.remove()
    }

    private func fetch(_ owner: String) throws -> ValueFetch { try ValueFetch(owner: owner, directory: dir.path, allowDangerous: false) }

    private func failure(_ body: () throws -> Any) -> (code: Int32, message: String)? { reportedFailure(body) }

    func testOverLongAndGarbledKeyNamesAreUsageErrorsWithEscapedEcho() throws {
        let long = String(repeating: "K", count: 2000)
        let get = failure { try self.fetch("bot").request(key: long, env: "test") }
        let exec = failure { try self.fetch("bot").environment(env: "test", keys: [long]) }
        for r in [get, exec] {
            XCTAssertEqual(r?.code, 2, "\(String(describing: r))")
            XCTAssertTrue(r?.message.contains("is 2000 bytes long") == true, "\(String(describing: r))")
            XCTAssertFalse(r?.message.contains("upgraded") ?? true)
        }
        let escape = failure { try self.fetch("bot").request(key: "A\u{1b}[2J\u{07}B", env: "test") }
        XCTAssertEqual(escape?.code, 2)
        XCTAssertFalse(escape?.message.utf8.contains(where: { $0 == 0x1b || $0 == 0x07 }) ?? true, "a control character was echoed")
        XCTAssertTrue(escape?.message.contains("A\\u{1b}[2J\\u{7}B") == true, "\(String(describing: escape))")
    }

    func testKeyOfAnOwnerNeverInitialisedSaysSoWithoutADaemon() throws {
        let ghost = failure { try self.fetch("ghost").values([try self.fetch("ghost").request(key: "API", env: "test")]) }
        XCTAssertEqual(ghost?.code, 3)
        XCTAssertTrue(ghost?.message.contains("'ghost' has no key API (env test): the owner is not initialised here") == true, "\(String(describing: ghost))")
        XCTAssertTrue(ghost?.message.contains("keyrack init --for ghost") == true, "\(String(describing: ghost))")
        // An initialised owner without a daemon: the truth is that only unlock can tell.
        try makeAgeOwner("bot", in: HostManifestStore(home: KeyrackHome(root: dir.file("kr"))), userHome: dir.url)
        let locked = failure { try self.fetch("bot").values([try self.fetch("bot").request(key: "NEVER_SET", env: "test")]) }
        XCTAssertEqual(locked?.code, 3)
        XCTAssertTrue(locked?.message.contains("is locked, or was never set (no daemon runs, so only unlock can tell)") == true, "\(String(describing: locked))")
    }

    /// A daemon that died (SIGKILL) leaves its socket file behind, which nothing listens on: a
    /// get answers "locked" with the command that fixes it, exit 3, one line, no socket detail.
    func testADaemonGoneWithItsSocketLeftBehindSaysLocked() throws {
        try makeAgeOwner("bot", in: HostManifestStore(home: KeyrackHome(root: dir.file("kr"))), userHome: dir.url)
        let runtime = RuntimeDirectory.current()
        try runtime.prepare()
        // The dead daemon's socket: bound, then closed without unlinking, as the kernel leaves it.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in runtime.socket(owner: "bot").utf8.enumerated() { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        XCTAssertEqual(bound, 0)
        close(fd)
        XCTAssertTrue(FileManager.default.fileExists(atPath: runtime.socket(owner: "bot")), "the case under test: a socket file nobody serves")

        for (key, env) in [("acme.test.TOKEN", nil), ("TOKEN", "test")] as [(String, String?)] {
            let r = failure { try self.fetch("bot").values([try self.fetch("bot").request(key: key, env: env)]) }
            XCTAssertEqual(r?.code, 3, "\(String(describing: r))")
            let message = r?.message ?? ""
            XCTAssertTrue(message.contains("locked") && message.contains("keyrack unlock --for bot"), message)
            for word in ["socket", "connect", "refused", "ECONN", "errno", "No such file"] {
                XCTAssertFalse(message.contains(word), "socket detail leaked into the message: \(message)")
            }
            XCTAssertFalse(message.contains("\n"), message)
        }
    }

    /// A real daemon (DaemonServer, in this process) whose every connection slot (256) the
    /// owner's own process holds, sending nothing: a get says busy (exit 1), not "upgraded".
    func testBusyDaemonSaysBusyNotUpgraded() throws {
        try makeAgeOwner("bot", in: HostManifestStore(home: KeyrackHome(root: dir.file("kr"))), userHome: dir.url)
        let daemon = try InProcessDaemon(owner: "bot")
        defer { daemon.stop() }
        try daemon.grant([("acme.test.API", "v")])
        let held = (0..<300).compactMap { _ in try? daemon.client.connect() }
        var busy: (code: Int32, message: String)?
        let until = Date().addingTimeInterval(10)
        while busy == nil && Date() < until {
            busy = failure { try self.fetch("bot").values([try self.fetch("bot").request(key: "acme.test.API", env: nil)]) }
        }
        withExtendedLifetime(held) {}
        let r = try XCTUnwrap(busy, "every get was served with 300 connections held")
        XCTAssertEqual(r.code, 1, "\(r)")
        XCTAssertTrue(r.message.hasPrefix("error: the daemon is busy: the daemon is serving its maximum of 256 connections; retry shortly"), r.message)
        XCTAssertFalse(r.message.contains("upgraded"), r.message)
    }
}
