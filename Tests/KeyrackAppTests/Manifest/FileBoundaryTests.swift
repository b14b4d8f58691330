import Foundation
import KeyrackApp
import KeyrackClient
import KeyrackCore
import KeyrackNames
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Issue 10, item 4, in-process: files keyrack reads are regular, bounded and checked. A FIFO, a
/// device or a huge file planted as `.agent/keyrack.yml` is refused at once by the one path of
/// get, exec and source (ValueFetch); `set` never follows a symlinked lock file; a KEYRACK_HOME
/// another user owns or can write is refused by the store every command opens (exit 1).
final class FileBoundaryTests: XCTestCase {
    private var dir: TempDirectory!
    private let bot = try! OwnerName("bot")

    override func setUpWithError() throws { dir = try TempDirectory("keyrack-boundary") }
    override func tearDown() { dir.remove() }

    func testRepositoryFileThatIsAFIFODeviceOrHugeIsRefusedAtOnce() throws {
        let repo = dir.file("repo")
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".agent"), withIntermediateDirectories: true)
        let file = repo.appendingPathComponent(".agent/keyrack.yml").path
        let plants: [(String, () throws -> Void, String)] = [
            ("FIFO", { XCTAssertEqual(mkfifo(file, 0o644), 0) }, "is a FIFO, not a regular file"),
            ("/dev/zero", { try FileManager.default.createSymbolicLink(atPath: file, withDestinationPath: "/dev/zero") }, "is a character device, not a regular file"),
            ("2 MiB file", { try Data(repeating: 0x20, count: 2 << 20).write(to: URL(fileURLWithPath: file)) }, "is larger than 1 MiB"),
        ]
        for (what, plant, message) in plants {
            unlink(file)
            try plant()
            XCTAssertThrowsError(try ValueFetch(owner: "bot", directory: repo.path, allowDangerous: false), what) { error in
                XCTAssertEqual((error as? CLIReportable)?.exitCode, 2, "\(what): \(error)")
                XCTAssertTrue((error as? UsageError)?.message.contains("cannot read \(file): it \(message)") == true, "\(what): \(error)")
            }
        }
    }

    func testSymlinkedLockFileIsNeverFollowed() throws {
        let store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
        try makeAgeOwner("bot", in: store, userHome: dir.url)
        let lock = store.home.lock(bot).path, target = dir.file("victim-file").path
        try FileManager.default.createDirectory(atPath: (lock as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        unlink(lock)
        try FileManager.default.createSymbolicLink(atPath: lock, withDestinationPath: target)
        let input = KeyChange.SetInput(owner: bot, org: "acme", env: try EnvName("test"), key: try KeyName("TWO"), vault: .osSecure, directory: dir.url)
        XCTAssertThrowsError(try KeyChange.set(input, store: store, identities: { try store.identities(for: self.bot) },
                                               value: { _ in Array("2".utf8) }, effects: RecordedEffects())) { error in
            XCTAssertEqual((error as? KeyrackError)?.kind, .failure, "exit 1: \(error)")
            XCTAssertTrue((error as? KeyrackError)?.problem.contains("the lock file \(lock) is a symbolic link") == true, "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: target), "the symlink's target was created")
    }

    func testKeyrackHomeOfAnotherUserOrWritableByOthersIsRefused() throws {
        let home = dir.file("kr")
        let store = HostManifestStore(home: KeyrackHome(root: home))
        try makeAgeOwner("bot", in: store, userHome: dir.url)
        let env = EnvironmentOverride()
        env.set("KEYRACK_HOME", home.path)
        defer { env.restore() }

        XCTAssertEqual(chmod(home.path, 0o777), 0)
        XCTAssertThrowsError(try HostManifestStore.fromEnvironment()) { error in
            XCTAssertEqual((error as? KeyrackError)?.kind, .failure, "exit 1: \(error)")
            XCTAssertTrue((error as? KeyrackError)?.problem.contains("KEYRACK_HOME \(home.path) has mode 777, writable by others") == true, "\(error)")
        }
        XCTAssertEqual(chmod(home.path, 0o700), 0)
        // Any uid but this process's: the check compares the directory's owner with getuid().
        let other = getuid() + 4242
        XCTAssertEqual(chown(home.path, other, getgid()), 0)
        XCTAssertThrowsError(try HostManifestStore.fromEnvironment()) { error in
            XCTAssertEqual((error as? KeyrackError)?.kind, .failure, "exit 1: \(error)")
            XCTAssertTrue((error as? KeyrackError)?.problem.contains("KEYRACK_HOME \(home.path) belongs to uid \(other), not to you") == true, "\(error)")
        }
        XCTAssertEqual(chown(home.path, getuid(), getgid()), 0)
        XCTAssertEqual(try HostManifestStore.fromEnvironment().owners(), [bot], "the same home, back in order, is read again")
    }
}
