import Foundation
import TestSupport
import XCTest

/// `keyrack exec --for OWNER --sandbox` with the real bubblewrap, as an unprivileged user whose
/// three owners (human, seaturtle, mechanic) share its one uid, all unlocked: seaturtle's command
/// reaches seaturtle's daemon and nothing else of keyrack's (issue 25).
final class SandboxTests: XCTestCase {
    private var h: SandboxHarness!

    override func setUpWithError() throws { h = try SandboxHarness() }
    override func tearDown() { h?.tearDown() }

    /// What the probe (python3, inside the sandbox) finds, as JSON.
    private static let probe = #"""
    import errno, json, os, shutil, socket, subprocess, sys
    args = json.loads(sys.argv[1])
    def run(cmd):
        p = subprocess.run(cmd, capture_output=True, text=True)
        return {"status": p.returncode, "out": p.stdout, "err": p.stderr}
    def code(e): return errno.errorcode.get(e.errno, str(e.errno))
    def connect(path):
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(path); return "connected"
        except OSError as e: return code(e)
    def read(path):
        try:
            with open(path, "rb") as f: return {"bytes": len(f.read())}
        except OSError as e: return {"error": code(e)}
    def write(path):
        try:
            with open(path, "wb") as f: f.write(b"age-encryption.org/v1 forged")
            return "written"
        except OSError as e: return code(e)
    kr = args["keyrack"]
    r = {"own": run([kr, "get", "--for", "seaturtle", "--key", "acme.test.API", "--value"]),
         "mechanic": run([kr, "get", "--for", "mechanic", "--key", "acme.test.API", "--value"]),
         "human": run([kr, "get", "--for", "human", "--key", "acme.test.API", "--value"]),
         "env": os.environ.get("API", ""),
         "sockets": {n: connect(p) for n, p in args["sockets"].items()},
         "exists": {n: os.path.exists(p) for n, p in args["paths"].items()},
         "reads": {n: read(p) for n, p in args["secrets"].items()},
         "forge": write(args["forge"]), "procs": {}}
    for name, pid in args["pids"].items():
        entry = {"proc": os.path.exists("/proc/%d" % pid), "environ": read("/proc/%d/environ" % pid)}
        try:
            os.kill(pid, 0); entry["signal"] = "sent"
        except OSError as e: entry["signal"] = code(e)
        r["procs"][name] = entry
    r["processes"] = len([d for d in os.listdir("/proc") if d.isdigit()])
    r["systemdRun"] = run(["systemd-run", "--user", "--wait", "true"])["status"] if shutil.which("systemd-run") else -1
    print(json.dumps(r))
    """#

    func testSeaturtlesSandboxReachesItsOwnDaemonAndNothingElse() throws {
        try h.threeOwnersUnlocked()
        // A D-Bus user bus and a systemd user manager socket where they live, outside.
        let bus = h.runtime.appendingPathComponent("bus").path
        let systemd = h.runtime.appendingPathComponent("systemd/private").path
        for path in [bus, systemd] {
            let made = try h.run("/usr/bin/python3", ["-c", "import os,socket,sys; os.makedirs(os.path.dirname(sys.argv[1]), exist_ok=True); socket.socket(socket.AF_UNIX).bind(sys.argv[1])", path])
            XCTAssertEqual(made.status, 0, "\(made)")
        }
        // mechanic's `exec`, running (its environment holds mechanic's token).
        let mechanicExec = try PipedChild("/usr/bin/setpriv", ["--reuid=\(h.user.uid)", "--regid=\(h.user.gid)", "--clear-groups", Run.keyrackBinary,
                                                               "exec", "--for", "mechanic", "--env", "test", "--key", "API", "--",
                                                               "/usr/bin/python3", "-c", "import signal; print('ready', flush=True); signal.pause()"],
                                          environment: h.environment, cwd: h.work.path)
        XCTAssertEqual(mechanicExec.line(), "ready")
        let mechanicManifest = h.keyrackHome.appendingPathComponent("host.mechanic.yml.age")
        let manifestBefore = try Data(contentsOf: mechanicManifest)
        let pcscd = "/run/pcscd/pcscd.comm"

        let args: [String: Any] = [
            "keyrack": Run.keyrackBinary,
            "sockets": ["mechanic": h.socket("mechanic"), "human": h.socket("human"), "pcscd": pcscd, "bus": bus],
            "paths": ["bus": bus, "systemd": systemd, "mechanicSocket": h.socket("mechanic"), "pcscd": pcscd,
                      "mechanicPidFile": h.runtime.appendingPathComponent("keyrack/daemon.mechanic.pid").path,
                      "tmpFallback": "/tmp/keyrack-\(h.user.uid)"],
            "secrets": ["mechanicManifest": mechanicManifest.path,
                        "mechanicRecipients": h.keyrackHome.appendingPathComponent("host.mechanic.recipients.yml").path,
                        "mechanicIdentity": h.keys.appendingPathComponent("id_mechanic").path,
                        "humanSSHKey": h.home.appendingPathComponent(".ssh/id_human").path,
                        "seaturtleSSHKey": h.home.appendingPathComponent(".ssh/id_seaturtle").path,
                        "mechanicPIN": h.home.appendingPathComponent(".mechanic.pin").path],
            "forge": mechanicManifest.path,
            "pids": ["mechanicDaemon": Int(h.daemonPID("mechanic")!), "humanDaemon": Int(h.daemonPID("human")!), "mechanicExec": Int(mechanicExec.pid)],
        ]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: args), as: UTF8.self)
        let r = try h.keyrack(["exec", "--for", "seaturtle", "--env", "test", "--key", "API", "--sandbox", "--",
                               "/usr/bin/python3", "-c", Self.probe, json])
        XCTAssertEqual(r.status, 0, "\(r)")
        let found = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout)) as? [String: Any], r.description)

        // seaturtle's own key: from its daemon and from exec's --key alike.
        let own = try XCTUnwrap(found["own"] as? [String: Any])
        XCTAssertEqual(own["status"] as? Int, 0, "\(own)")
        XCTAssertEqual(own["out"] as? String, h.tokens["seaturtle"])
        XCTAssertEqual(found["env"] as? String, h.tokens["seaturtle"])
        // Every other owner: one line, exit 4, no value.
        for owner in ["mechanic", "human"] {
            let other = try XCTUnwrap(found[owner] as? [String: Any])
            XCTAssertEqual(other["status"] as? Int, 4, "\(other)")
            XCTAssertEqual(other["out"] as? String, "")
            XCTAssertEqual(other["err"] as? String, "error: owner '\(owner)' is not reachable from this sandbox (it was started for 'seaturtle'): ask for it outside the sandbox\n")
        }
        XCTAssertFalse(r.out.contains(h.tokens["mechanic"]!) || r.out.contains(h.tokens["human"]!), "no other owner's value may reach the sandbox")
        // Raw connect() to every other socket: there is nothing at those paths.
        let sockets = try XCTUnwrap(found["sockets"] as? [String: String])
        XCTAssertEqual(sockets, ["mechanic": "ENOENT", "human": "ENOENT", "pcscd": "ENOENT", "bus": "ENOENT"])
        let exists = try XCTUnwrap(found["exists"] as? [String: Bool])
        XCTAssertEqual(exists, ["bus": false, "systemd": false, "mechanicSocket": false, "pcscd": false, "mechanicPidFile": false, "tmpFallback": false])
        XCTAssertTrue(FileManager.default.fileExists(atPath: bus) && FileManager.default.fileExists(atPath: h.socket("mechanic")), "the paths exist outside")
        if found["systemdRun"] as? Int != -1 { XCTAssertNotEqual(found["systemdRun"] as? Int, 0, "systemd-run --user must not reach a user manager") }
        // Secrets: absent, or (mechanic's identity outside the home) covered by /dev/null on a
        // nodev mount, which cannot even be opened.
        let reads = try XCTUnwrap(found["reads"] as? [String: [String: Any]])
        for name in ["mechanicManifest", "mechanicRecipients", "humanSSHKey", "seaturtleSSHKey", "mechanicPIN"] {
            XCTAssertEqual(reads[name]?["error"] as? String, "ENOENT", "\(name): \(reads[name] ?? [:])")
        }
        XCTAssertEqual(reads["mechanicIdentity"]?["error"] as? String, "EACCES", "\(reads)")
        // A forged manifest cannot be written, and the real one is untouched.
        XCTAssertEqual(found["forge"] as? String, "EROFS")
        XCTAssertEqual(try Data(contentsOf: mechanicManifest), manifestBefore)
        // Other owners' processes: not in /proc, not signalable, environ unreadable.
        let procs = try XCTUnwrap(found["procs"] as? [String: [String: Any]])
        for name in ["mechanicDaemon", "humanDaemon", "mechanicExec"] {
            XCTAssertEqual(procs[name]?["proc"] as? Bool, false, "\(name)")
            XCTAssertEqual(procs[name]?["signal"] as? String, "ESRCH", "\(name)")
            XCTAssertEqual((procs[name]?["environ"] as? [String: Any])?["error"] as? String, "ENOENT", "\(name)")
        }
        XCTAssertLessThan(found["processes"] as? Int ?? 99, 8, "the sandbox's /proc shows its own few processes only")
        // The same processes outside, alive: the probe could have hit them.
        XCTAssertTrue(ProcessTable.isAlive(mechanicExec.pid))
        let environ = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(mechanicExec.pid)/environ"))
        XCTAssertTrue(String(decoding: environ, as: UTF8.self).contains(h.tokens["mechanic"]!))
        kill(mechanicExec.pid, SIGTERM)
        mechanicExec.waitForExit()
    }

    func testSandboxedOwnerServesOnlyItsOwnSandbox() throws {
        try h.threeOwnersUnlocked(sandboxed: ["seaturtle"])
        let get = ["get", "--for", "seaturtle", "--key", "acme.test.API", "--value"]
        // Outside any sandbox, same uid: refused, and logged.
        let outside = try h.keyrack(get)
        XCTAssertEqual(outside.status, 4, "\(outside)")
        XCTAssertEqual(outside.out, "")
        XCTAssertTrue(outside.err.hasPrefix("error: refused by the daemon of 'seaturtle': the keys of 'seaturtle' go only to its own sandboxes; this process (pid "), outside.err)
        XCTAssertTrue(h.daemonLog("seaturtle").contains("outside any sandbox: the keys of 'seaturtle' go only to its own sandboxes"), h.daemonLog("seaturtle"))
        // Its own sandbox: served (no --env: the command asks the daemon itself).
        let inside = try h.keyrack(["exec", "--for", "seaturtle", "--sandbox", "--", Run.keyrackBinary] + get)
        XCTAssertEqual(inside.status, 0, "\(inside)")
        XCTAssertEqual(inside.out, h.tokens["seaturtle"])
        XCTAssertTrue(h.daemonLog("seaturtle").contains("sandbox registered: pid "))
        // mechanic's sandbox, handed a hard link to seaturtle's socket (which the sandbox would
        // never show): the daemon itself refuses a peer in another owner's sandbox.
        let fake = h.work.appendingPathComponent("elsewhere")
        _ = try h.run("/bin/mkdir", ["-m", "700", "-p", fake.appendingPathComponent("keyrack").path])
        let linked = try h.run("/bin/ln", [h.socket("seaturtle"), fake.appendingPathComponent("keyrack/daemon.seaturtle.sock").path])
        XCTAssertEqual(linked.status, 0, "\(linked)")
        let other = try h.keyrack(["exec", "--for", "mechanic", "--env", "test", "--key", "API", "--sandbox", "--",
                                   "/usr/bin/env", "XDG_RUNTIME_DIR=\(fake.path)", "KEYRACK_SANDBOX_OWNER=", Run.keyrackBinary] + get)
        XCTAssertEqual(other.status, 4, "\(other)")
        XCTAssertEqual(other.out, "")
        XCTAssertTrue(other.err.contains("this process (pid ") && other.err.contains("is inside another sandbox or namespace"), other.err)
        XCTAssertTrue(h.daemonLog("seaturtle").contains("inside another sandbox or namespace: the keys of 'seaturtle' go only to its own sandboxes"), h.daemonLog("seaturtle"))
        XCTAssertFalse(h.daemonLog("seaturtle").contains(h.tokens["seaturtle"]!), "the log never holds a value")
        // The other owners are not sandboxed: the human's shell still gets the human's keys.
        XCTAssertEqual(try h.ok(["get", "--key", "acme.test.API", "--value"]).out, h.tokens["human"])
    }

    func testRequireAndReleaseRecordTheRuleInTheManifest() throws {
        try h.threeOwnersUnlocked()
        let get = ["get", "--for", "mechanic", "--key", "acme.test.API", "--value"]
        XCTAssertEqual(try h.ok(get).out, h.tokens["mechanic"])
        let required = try h.ok(["sandbox", "require", "--for", "mechanic"])
        XCTAssertTrue(required.out.contains("its running daemon was told and enforces it now"), required.out)
        XCTAssertEqual(try h.keyrack(get).status, 4, "the running daemon enforces it at once")
        // Recorded in the encrypted manifest (decrypted here with the real age and mechanic's key).
        let plain = try h.run("/usr/bin/age", ["-d", "-i", h.keys.appendingPathComponent("id_mechanic").path,
                                               h.keyrackHome.appendingPathComponent("host.mechanic.yml.age").path])
        XCTAssertEqual(plain.status, 0, "\(plain)")
        XCTAssertTrue(plain.out.contains("sandboxed: true"), plain.out)
        // A new daemon started by unlock is told before it holds any value.
        try h.ok(["daemon", "stop", "--for", "mechanic"])
        try h.ok(["unlock", "--for", "mechanic", "--env", "test"])
        XCTAssertEqual(try h.keyrack(get).status, 4)
        // Released: the running daemon keeps the rule until it stops; the next one serves anyone.
        let released = try h.ok(["sandbox", "release", "--for", "mechanic"])
        XCTAssertTrue(released.out.contains("keeps requiring the sandbox until it stops"), released.out)
        XCTAssertEqual(try h.keyrack(get).status, 4)
        try h.ok(["daemon", "stop", "--for", "mechanic"])
        try h.ok(["unlock", "--for", "mechanic", "--env", "test"])
        XCTAssertEqual(try h.ok(get).out, h.tokens["mechanic"])
    }

    func testOSDaemonValueOfASandboxedOwnerGoesOnlyToItsSandbox() throws {
        let key = h.keys.appendingPathComponent("id_robot")
        XCTAssertEqual(try h.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key.path]).status, 0)
        try h.ok(["init", "--for", "robot", "--via", "ssh", "--pubkey", key.path + ".pub", "--sandboxed"])
        let sidecar = try String(contentsOf: h.keyrackHome.appendingPathComponent("host.robot.recipients.yml"), encoding: .utf8)
        XCTAssertTrue(sidecar.contains("sandboxed: true"), sidecar)
        // `set --vault os.daemon` starts the daemon itself, without an unlock: still sandboxed.
        try h.ok(["set", "--for", "robot", "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.daemon"], stdin: h.tokens["seaturtle"]!)
        defer { _ = try? h.keyrack(["daemon", "stop", "--for", "robot"]) }
        let get = ["get", "--for", "robot", "--key", "acme.test.API", "--value"]
        let outside = try h.keyrack(get)
        XCTAssertEqual(outside.status, 4, "\(outside)")
        XCTAssertEqual(outside.out, "")
        let inside = try h.keyrack(["exec", "--for", "robot", "--env", "test", "--key", "API", "--sandbox", "--", "/bin/sh", "-c", "printf %s \"$API\""])
        XCTAssertEqual(inside.status, 0, "\(inside)")
        XCTAssertEqual(inside.out, h.tokens["seaturtle"])
    }

    func testUnlockFirstThenTheSandboxGetsTheKey() throws {
        try h.threeOwnersUnlocked()
        try h.ok(["daemon", "stop", "--for", "seaturtle"])
        let exec = ["exec", "--for", "seaturtle", "--env", "test", "--key", "API", "--sandbox"]
        let locked = try h.keyrack(exec + ["--", "/bin/true"])
        XCTAssertEqual(locked.status, 3, "\(locked)")
        XCTAssertEqual(locked.err, "error: the daemon of 'seaturtle' is not running, so the sandbox would have no keys to reach: unlock the owner first (keyrack unlock --for seaturtle --env ENV)\n")
        let r = try h.keyrack(exec + ["--unlock", "--", "/bin/sh", "-c", "printf %s \"$API\""])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertEqual(r.out, h.tokens["seaturtle"], "stdout is the program's alone (unlock reports on stderr)")
        XCTAssertTrue(r.err.contains("unlocked 1 key(s) of 'seaturtle'"), r.err)
    }

    func testExitCodesAndSignalsPropagate() throws {
        try h.threeOwnersUnlocked()
        let exec = ["exec", "--for", "seaturtle", "--env", "test", "--key", "API", "--sandbox", "--"]
        XCTAssertEqual(try h.keyrack(exec + ["/bin/sh", "-c", "exit 7"]).status, 7)
        let echoed = try h.keyrack(exec + ["/bin/sh", "-c", "cat; echo err >&2"], stdin: "through stdin\n")
        XCTAssertEqual(echoed.out, "through stdin\n")
        XCTAssertEqual(echoed.err, "err\n")
        XCTAssertEqual(try h.keyrack(exec + ["/bin/sh", "-c", "kill -KILL $$"]).status, 128 + SIGKILL)
        // The command holds what plain exec's would (stdin, stdout, stderr, and the socket the
        // test's Foundation.Process hands every child), nothing of keyrack's or bubblewrap's.
        // (python3 lists its own descriptors: no shell pipe races the listing.)
        let listFDs = ["/usr/bin/python3", "-c", "import os; print(*sorted(map(int, os.listdir('/proc/self/fd'))))"]
        let plain = try h.keyrack(["exec", "--for", "seaturtle", "--env", "test", "--key", "API", "--"] + listFDs)
        XCTAssertTrue(plain.out.hasPrefix("0 1 2 "), plain.out)
        XCTAssertEqual(try h.keyrack(exec + listFDs).out, plain.out)

        for (signal, name) in [(SIGTERM, "TERM"), (SIGINT, "INT")] {
            let marker = "keyrack-sandbox-child-\(UUID().uuidString.prefix(8))"
            // The command handles the signal itself (so it must have received it), and leaves a
            // grandchild that only the sandbox's end can stop.
            let script = """
            import os, signal, subprocess, sys
            subprocess.Popen(["/usr/bin/python3", "-c", "import signal; signal.pause()", "\(marker)"])
            def done(sig, frame):
                open("got-\(name)", "w").write("yes"); sys.exit(42)
            signal.signal(signal.SIG\(name), done)
            print("ready", flush=True)
            signal.pause()
            """
            let child = try PipedChild("/usr/bin/setpriv", ["--reuid=\(h.user.uid)", "--regid=\(h.user.gid)", "--clear-groups", Run.keyrackBinary]
                                       + exec + ["/usr/bin/python3", "-c", script], environment: h.environment, cwd: h.work.path)
            XCTAssertEqual(child.line(), "ready")
            XCTAssertEqual(kill(child.pid, signal), 0)
            XCTAssertEqual(child.waitForExit(), 42, "SIG\(name)")
            XCTAssertEqual(try String(contentsOf: h.work.appendingPathComponent("got-\(name)"), encoding: .utf8), "yes")
            // The grandchild went with the sandbox: keyrack returned after bwrap, whose pid
            // namespace's end kills every process in it.
            let left = ProcessTable.pids(commandLineContaining: marker).filter(ProcessTable.isAlive)
            XCTAssertEqual(left, [], "SIG\(name): " + left.map { pid in
                String(decoding: FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data(), as: UTF8.self).prefix(120) + " ppid-stat=" + ((try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? "")
            }.joined(separator: " | "))
        }
    }

    func testCommandNeverRunsWhenTheSandboxCannotBeBuilt() throws {
        try h.threeOwnersUnlocked()
        let marker = h.work.appendingPathComponent("ran")
        let exec = ["exec", "--for", "seaturtle", "--env", "test", "--key", "API", "--sandbox", "--", "/usr/bin/touch", marker.path]
        let nowhere = try h.keyrack(exec, env: ["KEYRACK_BWRAP": "/nonexistent/bwrap"])
        XCTAssertEqual(nowhere.status, 1, "\(nowhere)")
        XCTAssertEqual(nowhere.err, "error: cannot build a sandbox: KEYRACK_BWRAP=/nonexistent/bwrap is not an executable file: install bubblewrap (Debian: apt-get install bubblewrap), or point KEYRACK_BWRAP at bwrap\n")
        let noPath = try h.keyrack(exec, env: ["PATH": h.keys.path])
        XCTAssertEqual(noPath.status, 1, "\(noPath)")
        XCTAssertTrue(noPath.err.contains("bubblewrap (bwrap) is not on PATH"), noPath.err)
        // A bubblewrap that fails while building (here: an option it refuses, as a kernel without
        // user namespaces fails it): its reason, then keyrack's, exit 1.
        let broken = h.keys.appendingPathComponent("bwrap")
        try Data("#!/bin/sh\nexec /usr/bin/bwrap --no-such-option \"$@\"\n".utf8).write(to: broken)
        chmod(broken.path, 0o755)
        let failed = try h.keyrack(exec, env: ["KEYRACK_BWRAP": broken.path])
        XCTAssertEqual(failed.status, 1, "\(failed)")
        XCTAssertTrue(failed.err.contains("bwrap: Unknown option --no-such-option"), failed.err)
        XCTAssertTrue(failed.err.contains("error: bubblewrap could not build the sandbox"), failed.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker.path), "the command must never run unsandboxed")
        // The same command does run once the sandbox can be built (the marker can appear).
        try h.ok(exec)
        XCTAssertTrue(FileManager.default.fileExists(atPath: marker.path))
    }
}
