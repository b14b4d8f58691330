import Foundation
@testable import KeyrackYAML
import XCTest

/// The search for `.agent/keyrack.yml` that `keyrack get` runs on every call, made in one walk
/// (issue 32): it still stops at the git root, never reads a file above it, and hands the
/// allowlist the same root `extends:` paths start from; the whole-file read is exact at every
/// size up to its limit and refuses one byte more.
final class RepoFileSearchTests: XCTestCase {
    private var base: String!

    override func setUpWithError() throws {
        base = NSTemporaryDirectory() + "keyrack-search-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: base) }

    private func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    private func mkdir(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func testNormalizedReturnsACanonicalPathAsItIsAndRewritesEveryOther() {
        let canonical = ["/", "/a", "/a/b", "/a/.b", "/a/b.", "/a/...", "/a..b/c", "/é/ß"]
        for path in canonical {
            XCTAssertTrue(RepoFile.isNormalized(path), path)
            XCTAssertEqual(RepoFile.normalized(path), path)
        }
        let rewritten = ["//a": "/a", "/a/": "/a", "/a//b": "/a/b", "/a/./b": "/a/b", "/a/../b": "/b", "/..": "/",
                         "/a/b/..": "/a", "/a/.": "/a", "a/b": "/a/b", "": "/", "/./": "/"]
        for (path, expected) in rewritten {
            XCTAssertFalse(RepoFile.isNormalized(path), path)
            XCTAssertEqual(RepoFile.normalized(path), expected, path)
        }
    }

    func testSearchStopsAtTheGitRootAndReturnsItAsTheRootOfExtends() throws {
        let repo = base + "/repo", deeper = repo + "/sub/deeper"
        try mkdir(repo + "/.git")
        try mkdir(deeper)
        // Above the git root: never a repository's file, whatever it says.
        try write("org: planted\nenv.test:\n  - STOLEN\n", to: base + "/.agent/keyrack.yml")
        XCTAssertNil(try RepoFile.locate(from: deeper))
        XCTAssertNil(try RepoAllowlist.find(from: repo))

        try write("org: acme\nenv.test:\n  - API\n", to: repo + "/.agent/keyrack.yml")
        let atRoot = try XCTUnwrap(try RepoFile.locate(from: deeper + "/./../deeper"))
        XCTAssertEqual(atRoot.file.path, repo + "/.agent/keyrack.yml")
        XCTAssertEqual(atRoot.root, repo)
        XCTAssertEqual(try RepoAllowlist.find(from: deeper)?.sections["test"], ["API"])

        // A file nearer the directory wins; `extends:` still starts from the git root.
        try write("org: acme\nextends:\n  - .agent/keyrack.yml\nenv.test:\n  - DB\n", to: repo + "/sub/.agent/keyrack.yml")
        let nearer = try XCTUnwrap(try RepoFile.locate(from: deeper))
        XCTAssertEqual(nearer.file.path, repo + "/sub/.agent/keyrack.yml")
        XCTAssertEqual(nearer.root, repo)
        let allowlist = try XCTUnwrap(try RepoAllowlist.find(from: deeper))
        XCTAssertEqual(allowlist.sections["test"], ["DB", "API"])
        XCTAssertEqual(allowlist.path, repo + "/sub/.agent/keyrack.yml")
        // The files read, root first, each once.
        XCTAssertEqual(allowlist.files, [repo + "/sub/.agent/keyrack.yml", repo + "/.agent/keyrack.yml"])
    }

    func testOutsideARepositoryOnlyTheDirectoryItselfIsLookedAt() throws {
        let plain = base + "/plain"
        try write("org: acme\nenv.test:\n  - API\n", to: plain + "/.agent/keyrack.yml")
        try mkdir(plain + "/child")
        let found = try XCTUnwrap(try RepoFile.locate(from: plain))
        XCTAssertEqual(found.root, plain, "no git root: extends: paths start from the directory holding .agent")
        XCTAssertNil(try RepoFile.locate(from: plain + "/child"))
    }

    func testBoundedReadIsExactAtEverySizeUpToTheLimitAndRefusesOneByteMore() throws {
        let limit = 70_000  // past the 64 KiB the read once went through
        for size in [0, 1, 4095, 4096, 65_536, 65_537, limit] {
            let path = base + "/file-\(size)"
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            XCTAssertEqual(try BoundedFile.read(path, limit: limit), bytes, "\(size) bytes")
        }
        try Data(count: limit + 1).write(to: URL(fileURLWithPath: base + "/over"))
        XCTAssertThrowsError(try BoundedFile.read(base + "/over", limit: limit)) { error in
            XCTAssertEqual(error as? BoundedFile.Failure, .tooLarge(limit: limit))
        }
        XCTAssertNil(try BoundedFile.read(base + "/absent", limit: limit))
    }

    func testBoundedReadOfAFileLargerThanItsStatSizeIsWholeAndStillBounded() throws {
        // /proc files say size 0 and hold more: the read grows past what fstat said.
        let status = try XCTUnwrap(try BoundedFile.read("/proc/self/status", limit: 1 << 20))
        XCTAssertTrue(status.starts(with: Array("Name:".utf8)))
        XCTAssertEqual(status.last, 0x0a, "read to its end")
        XCTAssertThrowsError(try BoundedFile.read("/proc/self/status", limit: 64)) { error in
            XCTAssertEqual(error as? BoundedFile.Failure, .tooLarge(limit: 64))
        }
    }
}
