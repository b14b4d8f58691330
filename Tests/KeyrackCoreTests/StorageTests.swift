import Foundation
import XCTest
@testable import KeyrackCore
import TestSupport

/// The atomic writer and the owner lock: the two things "no lost update, no broken manifest"
/// rests on.
final class StorageTests: XCTestCase {
    var dir: TempDirectory!
    override func setUpWithError() throws { dir = try TempDirectory("keyrack-core") }
    override func tearDown() { dir.remove() }

    func testAtomicWriteReplacesWithMode0600AndLeavesNoTemporary() throws {
        let url = dir.file("m.yml.age")
        try FileSystem.writeAtomically(Array("old".utf8), to: url)
        try FileSystem.writeAtomically(Array("new content".utf8), to: url, mode: 0o600)
        XCTAssertEqual(try FileSystem.read(url), Array("new content".utf8))
        let attrs = try FileManager.default.attributesOfItem(atPath: url.path)
        XCTAssertEqual((attrs[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["m.yml.age"])
    }

    func testAtomicWriteFailureKeepsTheOldFile() throws {
        let url = dir.file("sub/m")
        XCTAssertThrowsError(try FileSystem.writeAtomically([1], to: url))  // no such directory
        XCTAssertNil(try FileSystem.read(url))
    }

    func testReadTellsAbsentFromUnreadable() throws {
        XCTAssertNil(try FileSystem.read(dir.file("absent")))
        XCTAssertThrowsError(try FileSystem.read(dir.url)) { error in
            XCTAssertTrue("\(error)".contains("it is a directory, not a regular file"), "\(error)")
        }
    }

    func testCreateExclusivelyNeverOverwrites() throws {
        let url = dir.file("id.txt")
        XCTAssertTrue(try FileSystem.createExclusively(Array("first".utf8), at: url))
        XCTAssertFalse(try FileSystem.createExclusively(Array("second".utf8), at: url))
        XCTAssertEqual(try FileSystem.read(url), Array("first".utf8))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["id.txt"])
    }

    func testStaleTemporariesAreRemoved() throws {
        let url = dir.file("host.a.yml.age")
        _ = try dir.write(".host.a.yml.age.tmp-abc123", [1, 2])
        _ = try dir.write(".host.b.yml.age.tmp-abc123", [1, 2])
        FileSystem.removeStaleTemporaries(of: url)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [".host.b.yml.age.tmp-abc123"])
    }

    func testPrivateDirectoryIsCreated0700AndTightened() throws {
        let home = KeyrackHome(root: dir.file("kr"))
        try home.ensureDirectory("locks")
        for path in [home.root.path, home.root.appendingPathComponent("locks").path] {
            XCTAssertEqual((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue, 0o700)
        }
        chmod(home.root.path, 0o755)
        try home.ensureDirectory()
        XCTAssertEqual((try FileManager.default.attributesOfItem(atPath: home.root.path)[.posixPermissions] as? NSNumber)?.intValue, 0o700)
    }

    func testLockIsExclusiveAndReleased() throws {
        let home = KeyrackHome(root: dir.file("kr"))
        let owner = try OwnerName("seaturtle")
        var lock: OwnerLock? = try OwnerLock(home: home, owner: owner)
        XCTAssertTrue(OwnerLock.isHeld(home: home, owner: owner))
        XCTAssertFalse(OwnerLock.isHeld(home: home, owner: try OwnerName("mechanic")))
        lock = nil
        _ = lock
        XCTAssertFalse(OwnerLock.isHeld(home: home, owner: owner))
    }

    /// 8 threads × 25 read-modify-writes of one counter file under the lock: none is lost.
    func testLockSerialisesReadModifyWrite() throws {
        let home = KeyrackHome(root: dir.file("kr"))
        let owner = try OwnerName("counter")
        let url = dir.file("count")
        try FileSystem.writeAtomically(Array("0".utf8), to: url)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<25 {
                try! OwnerLock.withLock(home: home, owner: owner) {
                    let n = Int(String(decoding: try FileSystem.read(url)!, as: UTF8.self))!
                    try FileSystem.writeAtomically(Array(String(n + 1).utf8), to: url)
                }
            }
        }
        XCTAssertEqual(String(decoding: try FileSystem.read(url)!, as: UTF8.self), "200")
    }
}
