import Foundation
import TestSupport
import XCTest

/// Issue 10, item 4: files keyrack reads are regular, bounded and checked. A FIFO, a device or a
/// huge file planted as `.agent/keyrack.yml` is refused at once; a symlinked lock file is never
/// followed; a KEYRACK_HOME another user owns or can write is refused on read paths too; and the
/// uid pin comes from the decrypted manifest, not only from its plaintext sidecar.
final class FileBoundaryTests: XCTestCase {
    private var h: DaemonHarness!

    override func setUpWithError() throws { h = try DaemonHarness() }
    override func tearDown() { h.tearDown() }

    /// Runs keyrack in `cwd` with a deadline (a FIFO used to hang `get` forever): exit code and
    /// stderr, or nil when it was still running at the deadline (then killed).
    private func keyrackWithin(_ seconds: Double, _ args: [String], cwd: URL) throws -> (Int32, String)? {
        var env: [String: String] = ["XDG_RUNTIME_DIR": h.runtime.path]
        for (k, v) in h.machine.environment { if let v { env[k] = v } }
        let errPath = h.machine.dir.file("stderr-\(UUID().uuidString)").path
        let quoted = ([Run.keyrackBinary] + args).map { "'\($0)'" }.joined(separator: " ")
        let p = try Spawned("/bin/sh", ["-c", "cd '\(cwd.path)' && exec \(quoted)"], environment: env, stderrPath: errPath)
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning { kill(p.pid, SIGKILL); p.waitForExit(); return nil }
        return (p.waitForExit(), (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    func testRepositoryFileThatIsAFIFODeviceOrHugeIsRefusedAtOnce() throws {
        try h.sshOwner("bot")
        try h.ok(["set", "--for", "bot", "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "v")
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        let repo = h.machine.dir.file("repo")
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
            for args in [["get", "--for", "bot", "--key", "API", "--env", "test", "--value"], ["source", "--for", "bot", "--env", "test"]] {
                let result = try keyrackWithin(20, args, cwd: repo)
                let (status, err) = try XCTUnwrap(result, "\(args[0]) with a \(what) as keyrack.yml was still running after 20 s")
                print("\(what) as .agent/keyrack.yml: keyrack \(args[0]) -> exit \(status): \(err)")
                XCTAssertEqual(status, 2, err)
                XCTAssertTrue(err.contains("cannot read \(file): it \(message)"), err)
            }
        }
    }

    func testSymlinkedLockFileIsNeverFollowed() throws {
        try h.sshOwner("bot")
        try h.ok(["set", "--for", "bot", "--key", "ONE", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "1")
        let lock = h.machine.keyrackHome.appendingPathComponent("locks/bot.lock").path
        let target = h.machine.dir.file("victim-file").path
        unlink(lock)
        try FileManager.default.createSymbolicLink(atPath: lock, withDestinationPath: target)
        let r = try h.keyrack(["set", "--for", "bot", "--key", "TWO", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "2")
        print("set with a symlinked lock -> exit \(r.status): \(r.err)")
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertTrue(r.err.contains("the lock file \(lock) is a symbolic link"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: target), "the symlink's target was created")
    }

    func testKeyrackHomeOfAnotherUserOrWritableByOthersIsRefusedOnReadPaths() throws {
        try h.sshOwner("bot")
        try h.ok(["set", "--for", "bot", "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "v")
        let home = h.machine.keyrackHome.path
        XCTAssertEqual(chmod(home, 0o777), 0)
        for args in [["list", "--for", "bot"], ["unlock", "--for", "bot", "--env", "test"]] {
            let r = try h.keyrack(args)
            print("KEYRACK_HOME 0777: keyrack \(args[0]) -> exit \(r.status): \(r.err)")
            XCTAssertEqual(r.status, 1, "\(r)")
            XCTAssertTrue(r.err.contains("KEYRACK_HOME \(home) has mode 777, writable by others"), r.err)
        }
        let other = try h.makeUser()
        XCTAssertEqual(chmod(home, 0o700), 0)
        XCTAssertEqual(chown(home, other.uid, other.gid), 0)
        for args in [["list", "--for", "bot"], ["unlock", "--for", "bot", "--env", "test"]] {
            let r = try h.keyrack(args)
            print("KEYRACK_HOME of uid \(other.uid): keyrack \(args[0]) -> exit \(r.status): \(r.err)")
            XCTAssertEqual(r.status, 1, "\(r)")
            XCTAssertTrue(r.err.contains("KEYRACK_HOME \(home) belongs to uid \(other.uid), not to you"), r.err)
        }
        XCTAssertNil(h.daemonPID("bot"))
        XCTAssertEqual(chown(home, 0, 0), 0)
        XCTAssertEqual(try h.ok(["list", "--for", "bot"]).status, 0, "the same home, back in order, is read again")
    }
}
