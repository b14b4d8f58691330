import Foundation
import TestSupport
import XCTest

/// The manifest harness plus a private XDG_RUNTIME_DIR, so each test gets its own daemons; every
/// daemon a test may have started is stopped (and, failing that, killed) at the end, so no test
/// leaves a process behind.
final class DaemonHarness {
    let machine: ManifestHarness
    let runtime: URL
    private var owners = Set<String>()
    private var users: [String] = []

    init() throws {
        machine = try ManifestHarness()
        runtime = machine.dir.file("run")
        try FileManager.default.createDirectory(at: runtime, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    var socketDirectory: URL { runtime.appendingPathComponent("keyrack") }

    @discardableResult
    func keyrack(_ args: [String], stdin: String = "", env: [String: String?] = [:], cwd: URL? = nil) throws -> RunResult {
        if let i = args.firstIndex(of: "--for"), i + 1 < args.count { owners.insert(args[i + 1]) } else { owners.insert("human") }
        var e = env
        if e["XDG_RUNTIME_DIR"] == nil { e["XDG_RUNTIME_DIR"] = runtime.path }
        return try machine.keyrack(args, stdin: stdin, env: e, cwd: cwd)
    }

    @discardableResult
    func ok(_ args: [String], stdin: String = "", env: [String: String?] = [:], cwd: URL? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> RunResult {
        let r = try keyrack(args, stdin: stdin, env: env, cwd: cwd)
        XCTAssertEqual(r.status, 0, "keyrack \(args.joined(separator: " "))\n\(r)\(r.status == 0 ? "" : daemonLogTail())", file: file, line: line)
        return r
    }

    /// The last lines of every daemon log in this test's runtime directory: when a command fails
    /// because a daemon went away, the reason is there (the directory is removed at teardown).
    /// Daemon logs hold lifecycle lines and denials, never a value.
    func daemonLogTail(lines: Int = 15) -> String {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: socketDirectory.path)) ?? []
        return files.filter { $0.hasSuffix(".log") }.sorted().map { name -> String in
            let text = (try? String(contentsOf: socketDirectory.appendingPathComponent(name), encoding: .utf8)) ?? ""
            return "\n--- \(name), last lines\n" + text.split(separator: "\n").suffix(lines).joined(separator: "\n")
        }.joined()
    }

    /// An owner with an ssh recipient, made with the real ssh-keygen and `keyrack init`.
    func sshOwner(_ owner: String) throws {
        let key = try machine.sshKey("id_\(owner)")
        try ok(["init", "--for", owner, "--via", "ssh", "--pubkey", key.path + ".pub"])
    }

    /// The daemon pid of `owner` from its pid file, nil when none.
    func daemonPID(_ owner: String) -> Int32? {
        guard let text = try? String(contentsOf: socketDirectory.appendingPathComponent("daemon.\(owner).pid"), encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Running (not exited, and not a zombie waiting for a parent that does not reap).
    func isAlive(_ pid: Int32) -> Bool { ProcessTable.isAlive(pid) }

    /// Polls until `pid` has exited, up to `seconds`; returns whether it did.
    func waitUntilGone(_ pid: Int32, seconds: Double = 5) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while isAlive(pid) {
            if Date() > deadline { return false }
            usleep(10_000)
        }
        return true
    }

    /// A throwaway Unix user (root only); removed at `tearDown`.
    func makeUser() throws -> (name: String, uid: UInt32, gid: UInt32) {
        XCTAssertEqual(geteuid(), 0, "isolation tests create Unix users and must run as root (CI does)")
        let name = "krt\(UInt32.random(in: 100_000...999_999))"
        let r = try Run.process("/usr/sbin/useradd", ["--no-create-home", "--shell", "/usr/sbin/nologin", name])
        XCTAssertEqual(r.status, 0, "\(r)")
        users.append(name)
        guard let pw = getpwnam(name) else { throw XCTSkip("useradd did not create \(name)") }
        return (name, pw.pointee.pw_uid, pw.pointee.pw_gid)
    }

    /// Runs `keyrack args` as another uid via util-linux `setpriv`.
    func keyrackAs(_ user: (name: String, uid: UInt32, gid: UInt32), _ args: [String], env: [String: String?] = [:]) throws -> RunResult {
        var e = machine.environment
        e["XDG_RUNTIME_DIR"] = runtime.path
        for (k, v) in env { e[k] = v }
        return try Run.process("/usr/bin/setpriv", ["--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", Run.keyrackBinary] + args,
                               environment: e, currentDirectory: URL(fileURLWithPath: "/"))
    }

    func tearDown() {
        for owner in owners {
            _ = try? machine.keyrack(["daemon", "stop", "--for", owner], env: ["XDG_RUNTIME_DIR": runtime.path])
            if let pid = daemonPID(owner), isAlive(pid) { kill(pid, SIGKILL) }
        }
        for user in users { _ = try? Run.process("/usr/sbin/userdel", [user]) }
    }
}
