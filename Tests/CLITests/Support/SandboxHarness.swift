import Foundation
import TestSupport
import XCTest

/// One unprivileged Unix user with three owners (human, seaturtle, mechanic), all ssh, all
/// unlocked, for the `exec --sandbox` tests. The machine lives under /var/tmp, not /tmp: the
/// sandbox's private /tmp would hide a /tmp machine wholesale and prove nothing about the rules.
/// mechanic's ssh key sits outside the home (so only the identity-file rule hides it), and a PIN
/// file of mechanic's sits in the home.
final class SandboxHarness {
    let base: URL
    let home: URL
    let keyrackHome: URL
    let runtime: URL
    let work: URL
    let keys: URL
    let user: (name: String, uid: UInt32, gid: UInt32)
    let tokens = ["human": "hu-" + UUID().uuidString, "seaturtle": "st-" + UUID().uuidString, "mechanic": "mc-" + UUID().uuidString]

    init() throws {
        XCTAssertEqual(geteuid(), 0, "sandbox tests create a Unix user and must run as root (CI does)")
        let name = "krs\(UInt32.random(in: 100_000...999_999))"
        let r = try Run.process("/usr/sbin/useradd", ["--no-create-home", "--shell", "/usr/sbin/nologin", name])
        XCTAssertEqual(r.status, 0, "\(r)")
        guard let pw = getpwnam(name) else { throw XCTSkip("useradd did not create \(name)") }
        user = (name, pw.pointee.pw_uid, pw.pointee.pw_gid)
        base = URL(fileURLWithPath: "/var/tmp/keyrack-sandbox-\(UUID().uuidString.prefix(8))")
        home = base.appendingPathComponent("home")
        keyrackHome = base.appendingPathComponent("kr")
        runtime = base.appendingPathComponent("run")
        work = base.appendingPathComponent("work")
        keys = base.appendingPathComponent("keys")
        for d in [base, home, home.appendingPathComponent(".ssh"), runtime, work, keys] {
            try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            XCTAssertEqual(chown(d.path, user.uid, user.gid), 0)
        }
        chmod(base.path, 0o711)
    }

    var environment: [String: String?] {
        [
            "HOME": home.path, "KEYRACK_HOME": keyrackHome.path, "XDG_RUNTIME_DIR": runtime.path,
            "PATH": "/usr/local/bin:/usr/bin:/bin", "USER": user.name, "LOGNAME": user.name,
            "KEYRACK_SANDBOX_OWNER": nil, "KEYRACK_IDENTITY": nil, "KEYRACK_BWRAP": nil,
        ]
    }

    /// Runs `executable args…` as the test user in `work`.
    @discardableResult
    func run(_ executable: String, _ args: [String], stdin: String = "", env: [String: String?] = [:]) throws -> RunResult {
        var e = environment
        for (k, v) in env { e[k] = v }
        return try Run.process("/usr/bin/setpriv", ["--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", executable] + args,
                               stdin: Array(stdin.utf8), environment: e, currentDirectory: work)
    }

    @discardableResult
    func keyrack(_ args: [String], stdin: String = "", env: [String: String?] = [:]) throws -> RunResult {
        try run(Run.keyrackBinary, args, stdin: stdin, env: env)
    }

    @discardableResult
    func ok(_ args: [String], stdin: String = "", file: StaticString = #filePath, line: UInt = #line) throws -> RunResult {
        let r = try keyrack(args, stdin: stdin)
        XCTAssertEqual(r.status, 0, "keyrack \(args.joined(separator: " "))\n\(r)", file: file, line: line)
        return r
    }

    /// The three owners, each with one os.secure key acme.test.API, all unlocked.
    func threeOwnersUnlocked(sandboxed: Set<String> = []) throws {
        for owner in ["human", "seaturtle", "mechanic"] {
            let dir = owner == "mechanic" ? keys : home.appendingPathComponent(".ssh")
            let key = dir.appendingPathComponent("id_\(owner)")
            let made = try run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", owner, "-f", key.path])
            XCTAssertEqual(made.status, 0, "\(made)")
            try ok(["init", "--for", owner, "--via", "ssh", "--pubkey", key.path + ".pub"] + (sandboxed.contains(owner) ? ["--sandboxed"] : []))
            try ok(["set", "--for", owner, "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: tokens[owner]!)
            try ok(["unlock", "--for", owner, "--env", "test"])
        }
        let pin = home.appendingPathComponent(".mechanic.pin")
        try Data("123456\n".utf8).write(to: pin)
        chmod(pin.path, 0o600)
        XCTAssertEqual(chown(pin.path, user.uid, user.gid), 0)
    }

    func socket(_ owner: String) -> String { runtime.appendingPathComponent("keyrack/daemon.\(owner).sock").path }

    func daemonPID(_ owner: String) -> Int32? {
        guard let text = try? String(contentsOf: runtime.appendingPathComponent("keyrack/daemon.\(owner).pid"), encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func daemonLog(_ owner: String) -> String {
        (try? String(contentsOf: runtime.appendingPathComponent("keyrack/daemon.\(owner).log"), encoding: .utf8)) ?? ""
    }

    /// Stops every daemon (and, failing that, kills it), waits until the user has no process
    /// left (userdel refuses a user that still runs one), then removes the user and the machine.
    func tearDown() {
        for owner in ["human", "seaturtle", "mechanic", "robot"] where daemonPID(owner) != nil {
            _ = try? keyrack(["daemon", "stop", "--for", owner])
        }
        // Whatever this throwaway user still runs (a daemon on its way out) is this test's.
        let left = ProcessTable.pids(ofUID: user.uid)
        for pid in left where ProcessTable.isAlive(pid) { kill(pid, SIGKILL) }
        let deadline = Date().addingTimeInterval(10)
        while ProcessTable.pids(ofUID: user.uid).contains(where: ProcessTable.isAlive) && Date() < deadline { usleep(10_000) }
        try? FileManager.default.removeItem(at: base)
        let removed = try? Run.process("/usr/sbin/userdel", [user.name])
        XCTAssertEqual(removed?.status, 0, "userdel \(user.name): \(removed?.description ?? "did not run")")
    }
}

/// A child with its stdout on a pipe, so a test can wait for the line a program prints when it
/// is ready (no sleeping), then signal it and collect its exit code.
final class PipedChild {
    let pid: pid_t
    private let out: Int32
    private var buffered: [UInt8] = []
    private var status: Int32?

    init(_ executable: String, _ arguments: [String], environment: [String: String?], cwd: String) throws {
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw NSError(domain: "PipedChild", code: Int(errno)) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        // env -C: the working directory (posix_spawn's chdir action is not in the Glibc module).
        let argv = (["/usr/bin/env", "-C", cwd, executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, "/usr/bin/env", &actions, nil, argv, envp)
        close(fds[1])
        guard rc == 0 else { close(fds[0]); throw NSError(domain: "PipedChild", code: Int(rc)) }
        pid = child
        out = fds[0]
    }

    /// The next line of stdout, waiting at most `seconds`; nil at end of file or timeout.
    func line(within seconds: Int32 = 30) -> String? {
        while true {
            if let nl = buffered.firstIndex(of: 0x0a) {
                let line = String(decoding: buffered[..<nl], as: UTF8.self)
                buffered.removeSubrange(...nl)
                return line
            }
            var p = pollfd(fd: out, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, seconds * 1000) == 1 else { return nil }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = read(out, &chunk, chunk.count)
            if n <= 0 { return nil }
            buffered += chunk[0..<n]
        }
    }

    @discardableResult
    func waitForExit() -> Int32 {
        if status == nil {
            var s: Int32 = 0
            while waitpid(pid, &s, 0) < 0 && errno == EINTR {}
            status = s
        }
        let s = status!
        return (s & 0x7f) == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f)
    }

    deinit {
        if status == nil { kill(pid, SIGKILL); waitForExit() }
        close(out)
    }
}
