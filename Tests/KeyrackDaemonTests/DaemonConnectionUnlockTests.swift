@testable import KeyrackDaemon
import Foundation
import TestSupport
import XCTest
import KeyrackNames

/// `DaemonConnection.unlock` against a live server in this process: the grants go in one frame
/// when they fit (the caller's array sent as it is) and in several when they do not, the
/// answer is every grant as stored, in order, and every value is zero in its own storage
/// afterwards, sent or not, whether the daemon took them all or refused a frame.
final class DaemonConnectionUnlockTests: XCTestCase {
    private var dir: TempDirectory!
    private var server: DaemonServer?

    override func setUpWithError() throws { dir = try TempDirectory("kdcu") }

    override func tearDown() {
        server?.stop(); server?.waitUntilStopped()
        dir.remove()
    }

    private func connect() throws -> DaemonConnection {
        let runtime = RuntimeDirectory(path: dir.path + "/rt")
        try runtime.prepare()
        var c = DaemonServer.Configuration(owner: "bot", socketPath: runtime.socket(owner: "bot"), pidPath: runtime.pidFile(owner: "bot"), allowedUID: geteuid())
        c.idleExitMilliseconds = nil
        let server = DaemonServer(configuration: c, log: { _ in })
        try server.start()
        self.server = server
        return try DaemonClient(owner: "bot", runtime: runtime).connect()
    }

    private func grants(_ sizes: [Int]) -> [GrantRequest] {
        sizes.enumerated().map { i, size in
            GrantRequest(slug: Slug(parsing: "acme.test.K\(i)")!, vault: "os.secure", ttlMilliseconds: 600_000 + UInt64(i),
                         value: [UInt8](repeating: UInt8(i % 255 + 1), count: size))
        }
    }

    private func assertWiped(_ sent: [GrantRequest], _ sizes: [Int], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(sent.map(\.value.count), sizes, "a wipe keeps each value's length", file: file, line: line)
        for g in sent { XCTAssertTrue(g.value.allSatisfy { $0 == 0 }, "\(g.slug) was left in memory", file: file, line: line) }
    }

    func testGrantsThatFitOneFrameAreStoredInOrderAndWiped() throws {
        let connection = try connect()
        let sizes = Array(repeating: 24, count: 300)
        let sent = grants(sizes)
        let stored = try connection.unlock(sent, catalog: sent.map(\.slug) + [Slug(parsing: "acme.zz.OTHER")!])
        XCTAssertEqual(stored.map(\.slug), sent.map(\.slug))
        XCTAssertEqual(stored.map(\.remainingMilliseconds), sent.map(\.ttlMilliseconds))
        XCTAssertEqual(stored.map(\.vault), Array(repeating: "os.secure", count: 300))
        assertWiped(sent, sizes)
        guard case .status(let status) = try connection.send(.status) else { return XCTFail() }
        XCTAssertEqual(status.grants.count, 300)
        XCTAssertEqual(status.catalogCount, 301)
    }

    /// Values of 900 KB: two a frame (each frame is kept under half the frame limit).
    func testGrantsLargerThanAFrameGoInSeveralAndAllAreStored() throws {
        let connection = try connect()
        let sizes = [900_000, 900_000, 900_000, 900_000, 900_000, 7]
        let sent = grants(sizes)
        let stored = try connection.unlock(sent, catalog: sent.map(\.slug))
        XCTAssertEqual(stored.map(\.slug), sent.map(\.slug))
        XCTAssertEqual(stored.map(\.remainingMilliseconds), sent.map(\.ttlMilliseconds))
        assertWiped(sent, sizes)
        guard case .status(let status) = try connection.send(.status) else { return XCTFail() }
        XCTAssertEqual(status.grants.count, sizes.count)
    }

    /// The second frame holds a value over the daemon's limit for one value: it refuses that
    /// frame, the error reaches the caller, and the values of the frame before (stored), of the
    /// refused one and of the one never sent are all zero.
    func testARefusedFrameLeavesNoValueUnwipedSentOrNot() throws {
        let connection = try connect()
        let sizes = [900_000, 900_000, Frame.maximumValueSize + 1, 900_000]
        let sent = grants(sizes)
        XCTAssertThrowsError(try connection.unlock(sent, catalog: nil)) { error in
            guard case DaemonError.protocolError? = error as? DaemonError else { return XCTFail("\(error)") }
        }
        assertWiped(sent, sizes)
    }
}
