import Foundation
import TestSupport
import XCTest

/// pcscd itself stops while `unlock` waits on the card. This test runs its own pcscd (through
/// scripts/with-simulated-yubikey) and kills it, so it cannot share the suite's pcscd:
/// scripts/test runs it alone, after the rest of the suite has stopped that pcscd.
final class PcscdStopTests: XCTestCase {
    func testPcscdStoppedMidUnlockIsAClearErrorAndWritesNothing() throws {
        if let shared = ProcessTable.running(named: "pcscd").first {
            throw XCTSkip("pcscd \(shared) is running; this test starts and kills its own (scripts/test runs it alone)")
        }
        let dir = try TempDirectory("keyrack-pcscd-stop")
        defer { dir.remove() }
        let serial = UInt32.random(in: 10_000_000...99_999_999)
        let ready = dir.file("state-dir")
        let log = dir.file("with-simulated-yubikey.log")
        let sim = try Spawned(Run.packageRoot.appendingPathComponent("scripts/with-simulated-yubikey").path,
                              ["--serial", String(serial), "--", "/bin/sh", "-c",
                               "printf '%s' \"$KEYRACK_SIM_STATE_DIR\" > \"$0.tmp\" && mv \"$0.tmp\" \"$0\" && exec sleep 600", ready.path],
                              stderrPath: log.path)
        defer { sim.terminate(); sim.waitForExit() }
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: ready.path) && sim.isRunning && Date() < deadline { usleep(20_000) }
        let stateDir = try XCTUnwrap(try? String(contentsOf: ready, encoding: .utf8),
                                     "the simulated card never came up: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        let pcscd = try XCTUnwrap(ProcessTable.running(named: "pcscd").first, "no pcscd after with-simulated-yubikey started")

        let h = try DaemonHarness()
        defer { h.tearDown() }
        try h.ok(["init", "--via", "yubikey", "--serial", String(serial), "--pin-stdin",
                  "--pin-policy", "never", "--touch-policy", "always"], stdin: "123456\n")
        try h.ok(["set", "--key", "TOKEN", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "pcscd-stop-\(serial)")
        let before = try h.machine.snapshot()

        // The next touch takes 20 s: unlock is certainly waiting on the card when pcscd goes.
        try "20000".write(toFile: "\(stateDir)/card-\(serial).json.touch", atomically: true, encoding: .utf8)
        var env = h.machine.environment
        env["XDG_RUNTIME_DIR"] = h.runtime.path
        let unlock = try WatchedProcess(Run.keyrackBinary, ["unlock", "--env", "test"], environment: env, cwd: h.machine.dir.url)
        XCTAssertTrue(unlock.wait(seconds: 20) { unlock.err.contains("touch your YubiKey") }, "unlock never asked for a touch: \(unlock.err)")
        XCTAssertEqual(kill(pcscd, SIGKILL), 0)
        let r = unlock.finish(seconds: 30)

        XCTAssertEqual(r.status, 5, "a card error: \(r)")
        let message = r.err.split(separator: "\n").filter { !$0.contains("touch your YubiKey") }
        XCTAssertEqual(message.count, 1, "one line after the touch prompt: \(r.err)")
        let text = message.first.map(String.init) ?? ""
        XCTAssertTrue(text.contains("pcscd"), "names pcscd: \(text)")
        XCTAssertTrue(text.contains("start") && text.contains("retry"), "says what to do: \(text)")
        print("pcscd stopped mid-unlock: \(text)")
        XCTAssertEqual(try h.machine.snapshot(), before, "nothing written")
        let get = try h.keyrack(["get", "--key", "acme.test.TOKEN", "--value"])
        XCTAssertEqual(get.status, 3, "the daemon holds nothing: \(get)")
    }
}
