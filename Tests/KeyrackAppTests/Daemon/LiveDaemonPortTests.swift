import Foundation
import KeyrackApp
import KeyrackDaemon
import KeyrackNames
import TestSupport
import XCTest

/// LiveDaemonPort against a real daemon (DaemonServer in this process): an unlock after `start`
/// found the daemon running goes over the connection `start` opened, not a second one.
final class LiveDaemonPortTests: XCTestCase {
    /// This process's open Unix sockets.
    private func socketCount() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").filter {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)"))?.hasPrefix("socket:") == true
        }.count
    }

    func testAnUnlockAfterStartUsesTheConnectionStartFound() throws {
        let daemon = try InProcessDaemon(owner: "portbot")
        defer { daemon.stop() }
        let port = LiveDaemonPort()
        let before = try socketCount()
        XCTAssertNil(try port.start(owner: "portbot", pinnedUID: nil), "the daemon runs: nothing started")
        // Two sockets more: the client's end kept, and the daemon's accepted end serving it.
        XCTAssertEqual(try socketCount(), before + 2, "start keeps the connection it pinged on")
        let grant = GrantRequest(slug: Slug(parsing: "acme.test.API_KEY")!, vault: "os.secure", ttlMilliseconds: 60_000, value: Array("v".utf8))
        let stored = try port.unlock(owner: "portbot", [grant], catalog: nil)
        XCTAssertEqual(stored.map(\.slug.description), ["acme.test.API_KEY"])
        // The kept connection went with the unlock (its client end closed); a next request opens its own.
        XCTAssertLessThanOrEqual(try socketCount(), before + 1)
        guard case .status(let status) = try port.send(owner: "portbot", .status) else { return XCTFail("no status answer") }
        XCTAssertEqual(status.grants.map(\.slug.description), ["acme.test.API_KEY"])
    }

    /// `prepare` pings ahead; `start` then reads that pong instead of taking the start lock and
    /// pinging on a connection of its own, and the unlock goes over the same connection.
    func testAPreparedPingServesStartAndTheUnlock() throws {
        let daemon = try InProcessDaemon(owner: "prepbot")
        defer { daemon.stop() }
        let port = LiveDaemonPort()
        let before = try socketCount()
        port.prepare(owner: "prepbot")
        XCTAssertNil(try port.start(owner: "prepbot", pinnedUID: nil), "the daemon runs: nothing started")
        let lock = daemon.client.runtime.startLock(owner: "prepbot")
        XCTAssertFalse(FileManager.default.fileExists(atPath: lock), "start took the start lock: it did not use the prepared ping")
        // The pong is read: the daemon has accepted. Two sockets: the kept client end and the daemon's.
        XCTAssertEqual(try socketCount(), before + 2, "start keeps the connection prepare pinged on")
        let grant = GrantRequest(slug: Slug(parsing: "acme.test.API_KEY")!, vault: "os.secure", ttlMilliseconds: 60_000, value: Array("v".utf8))
        XCTAssertEqual(try port.unlock(owner: "prepbot", [grant], catalog: nil).map(\.slug.description), ["acme.test.API_KEY"])
        XCTAssertLessThanOrEqual(try socketCount(), before + 1, "the unlock took the prepared connection")
    }

    /// With no daemon running, `prepare` keeps nothing and says nothing (`start` starts one).
    func testPrepareWithoutADaemonKeepsNothing() throws {
        let dir = try TempDirectory("krd")
        defer { dir.remove() }
        let env = EnvironmentOverride()
        env.set("XDG_RUNTIME_DIR", dir.path)
        defer { env.restore() }
        let port = LiveDaemonPort()
        let before = try socketCount()
        port.prepare(owner: "gonebot")
        XCTAssertEqual(try socketCount(), before)
    }
}
