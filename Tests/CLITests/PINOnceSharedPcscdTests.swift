import Foundation
import TestSupport
import XCTest

/// Issue 24 (HIGH): on a pcscd that lets every local user talk to a card (the tests' pcscd is
/// Debian's, built without polkit, socket 0666), a PIN-once robot slot must not stay verified
/// for another uid to use. Two uids, one simulated card behind the shared pcscd: the robot
/// (root here) unlocks with its PIN; another user holding a copy of the robot's manifest and
/// the slot's public stub (`keyrack yubikey list`) tries `keyrack age decrypt -i stub copy.age`.
final class PINOnceSharedPcscdTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipIf(SimulatedCard.cardTestsDisabled, "KEYRACK_NO_CARD_TESTS=1")
    }

    func testAnotherUIDCannotUseTheRobotsPINOnceSlotAfterUnlockBesideAnIdleConnectionOrWhileTheAgentIsUnlocked() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let s = String(card.serial)
        let pin = randomPIN()
        try h.ok(["yubikey", "change-pin", "--serial", s, "--pin-stdin"], stdin: "123456\n\(pin)\n")
        try h.ok(["init", "--for", "robo", "--via", "yubikey", "--serial", s, "--pin-policy", "once", "--touch-policy", "never", "--pin-stdin"],
                 stdin: "\(pin)\n")
        let value = randomSecret("robot")
        let set = try h.terminal(["set", "--for", "robo", "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure"],
                                 answers: [("value for", value), ("PIN", pin)], timeout: 120)
        XCTAssertEqual(set.status, 0, set.transcript)

        // The attacker: another uid with a copy of the manifest and the slot's stub (both public
        // to it: a backup, a shared disk; `yubikey list` needs no PIN).
        let attacker = try h.makeUser()
        chmod(h.machine.dir.path, 0o711)
        let loot = h.machine.dir.file("loot")
        try FileManager.default.createDirectory(at: loot, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        let copy = loot.appendingPathComponent("copy.age")
        try FileManager.default.copyItem(at: h.machine.manifest("robo"), to: copy)
        XCTAssertEqual(chmod(copy.path, 0o644), 0)
        let attackerHome = loot.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: attackerHome, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        XCTAssertEqual(chown(attackerHome.path, attacker.uid, attacker.gid), 0)
        let attackerEnv: [String: String?] = ["HOME": attackerHome.path, "KEYRACK_HOME": attackerHome.appendingPathComponent("kr").path,
                                              "XDG_RUNTIME_DIR": attackerHome.path]
        let list = try h.keyrackAs(attacker, ["yubikey", "list"], env: attackerEnv)
        XCTAssertEqual(list.status, 0, "\(list)")
        let stubLine = try XCTUnwrap(list.out.split(separator: "\n").first { $0.contains("AGE-PLUGIN-YUBIKEY-1") }, list.out)
        let stub = String(stubLine[stubLine.range(of: "AGE-PLUGIN-YUBIKEY-1")!.lowerBound...])
        let stubFile = loot.appendingPathComponent("stub.txt")
        try Data((stub + "\n").utf8).write(to: stubFile)
        XCTAssertEqual(chmod(stubFile.path, 0o644), 0)
        /// The attacker's decrypt: no terminal, no PIN. It must be refused, with no value out.
        func attack(_ when: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let r = try h.keyrackAs(attacker, ["age", "decrypt", "-i", stubFile.path, copy.path], env: attackerEnv)
            print("attacker's decrypt \(when) -> exit \(r.status): \(r.err)")
            XCTAssertNotEqual(r.status, 0, "\(when): another uid decrypted the robot's manifest without the PIN", file: file, line: line)
            XCTAssertFalse(r.out.contains(value), "\(when)", file: file, line: line)
            XCTAssertTrue(r.err.contains("PIN"), "\(when): refused for want of the PIN: \(r.err)", file: file, line: line)
        }

        // 1. Right after the robot's unlock.
        try h.ok(["unlock", "--for", "robo", "--env", "test", "--pin-stdin"], stdin: "\(pin)\n")
        XCTAssertEqual(try h.ok(["get", "--for", "robo", "--key", "acme.test.API", "--value"]).out, value)
        try attack("right after the robot's unlock")

        // 2. While an idle shared PC/SC connection (the attacker's own) keeps the card powered.
        let ready = attackerHome.appendingPathComponent("holder.out")
        let holder = try Spawned("/usr/bin/setpriv", ["--reuid=\(attacker.uid)", "--regid=\(attacker.gid)", "--clear-groups",
                                                      "/usr/bin/python3", "-c", Self.idleConnection, card.reader, ready.path])
        defer { holder.terminate(); holder.waitForExit() }
        try waitForContents(ready, holder)
        XCTAssertEqual(try String(contentsOf: ready, encoding: .utf8), "0x0\n", "the idle shared connection is open")
        try h.ok(["relock", "--for", "robo"])
        try h.ok(["unlock", "--for", "robo", "--env", "test", "--pin-stdin"], stdin: "\(pin)\n")
        XCTAssertTrue(holder.isRunning, "the connection is still held")
        try attack("while an idle shared connection is held")

        // 3. While the robot's identity agent is unlocked and has used the card once with the PIN.
        try h.ok(["unlock", "--for", "robo", "--identity-agent"])
        let recipient = try h.ok(["identity", "--for", "robo", "--recipient"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        let plain = randomSecret("file")
        let sealed = h.machine.dir.file("f.age")
        try h.ok(["age", "encrypt", "-r", recipient, "-o", sealed.path, try h.machine.dir.write("f.txt", Array(plain.utf8)).path])
        let idFile = try h.machine.dir.write("identity-robo.txt", Array(try h.ok(["identity", "--for", "robo"]).stdout))
        let viaAgent = try pyrage(h, [pin, idFile.path, sealed.path, sealed.path])
        XCTAssertEqual(viaAgent.status, 0, "\(viaAgent)")
        // On this pcscd the agent holds no card session between requests: each asks the PIN.
        XCTAssertEqual(viaAgent.out, "\(plain)\n\(plain)\nASKED 2\n", "\(viaAgent)")
        try attack("while the agent is unlocked")
    }

    /// Connects shared to the reader in argv[1] and holds the connection without a command,
    /// writing SCardConnect's result to argv[2]; stays until killed.
    static let idleConnection = """
    import ctypes, sys, time
    l = ctypes.CDLL("libpcsclite.so.1")
    ctx = ctypes.c_long(); card = ctypes.c_long(); proto = ctypes.c_ulong()
    l.SCardEstablishContext(ctypes.c_ulong(2), None, None, ctypes.byref(ctx))
    rc = l.SCardConnect(ctx, sys.argv[1].encode(), ctypes.c_ulong(2), ctypes.c_ulong(3), ctypes.byref(card), ctypes.byref(proto))
    open(sys.argv[2], "w").write(hex(rc & 0xffffffff) + "\\n")
    while True: time.sleep(3600)
    """

    /// Waits until the holder has written its answer (or died).
    private func waitForContents(_ url: URL, _ process: Spawned) throws {
        let deadline = Date().addingTimeInterval(30)
        while (try? String(contentsOf: url, encoding: .utf8))?.hasSuffix("\n") != true {
            guard process.isRunning, Date() < deadline else {
                throw NSError(domain: "PINOnceSharedPcscdTests", code: 1, userInfo: [NSLocalizedDescriptionKey: "the idle connection never opened"])
            }
            usleep(20_000)
        }
    }

    /// pyrage (the Rust age crate) as the robot's age client through age-plugin-keyrack: decrypts
    /// each file with one plugin run per file, answering the PIN requests with argv[1].
    private func pyrage(_ h: DaemonHarness, _ arguments: [String]) throws -> RunResult {
        let script = try h.machine.dir.write("client.py", Array("""
        import pyrage, sys
        from pyrage import plugin
        class UI:
            asked = 0
            def display_message(self, m): pass
            def confirm(self, m, yes, no): return True
            def request_public(self, d): return None
            def request_passphrase(self, d):
                UI.asked += 1; return sys.argv[1]
        ids = [plugin.Identity.from_str(l.strip()) for l in open(sys.argv[2]) if l.startswith('AGE-PLUGIN-')]
        for path in sys.argv[3:]:
            p = plugin.IdentityPluginV1('keyrack', ids, UI())
            sys.stdout.write(pyrage.decrypt(open(path, 'rb').read(), [p]).decode() + '\\n')
        print('ASKED', UI.asked)
        """.utf8))
        var e = h.machine.environment
        e["XDG_RUNTIME_DIR"] = h.runtime.path
        let venv = ProcessInfo.processInfo.environment["KEYRACK_VENV"]
        e["PATH"] = Run.buildDirectory.path + ":" + (venv.map { $0 + "/bin:" } ?? "") + "/usr/local/bin:/usr/bin:/bin"
        return try Run.process(venv.map { $0 + "/bin/python3" } ?? "python3", [script.path] + arguments, environment: e)
    }
}
