import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Faults the machine, not keyrack, causes — a full disk, a read-only home, a SIGKILL at any
/// instant, a card pulled mid-ECDH — must lose nothing and say, in one line, what happened and
/// what to do. Black-box: the built binary, real mounts (root), the real `age`. A dead daemon's
/// leftover socket: KeyrackAppTests/Output/TruthfulErrorTests.swift.
final class FaultInjectionTests: XCTestCase {
    /// An age owner whose KEYRACK_HOME is a small tmpfs, holding one secret.
    private func ownerOnTmpfs(size: String = "1m") throws -> (ManifestHarness, TmpfsMount, URL) {
        let h = try ManifestHarness()
        let mount = try TmpfsMount(at: h.keyrackHome, size: size)
        try h.ok(["init", "--via", "age"])
        try h.ok(["set", "--key", "BEFORE", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "old-value")
        return (h, mount, h.keyrackHome.appendingPathComponent("identities/human.txt"))
    }

    /// A snapshot of KEYRACK_HOME without the filler file.
    private func state(_ h: ManifestHarness) throws -> [String: String] {
        var s = try h.snapshot()
        s["fill"] = nil
        return s
    }

    private func assertOneLine(_ r: RunResult, file: StaticString = #filePath, line: UInt = #line) {
        let lines = r.err.split(separator: "\n", omittingEmptySubsequences: true)
        XCTAssertEqual(lines.count, 1, "one-line error expected: \(r)", file: file, line: line)
    }

    private func assertStillOld(_ h: ManifestHarness, _ identity: URL, _ before: Data, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try Data(contentsOf: h.manifest("human")), before, "the manifest changed", file: file, line: line)
        let plain = try h.ageDecrypt("human", identity: identity)
        XCTAssertEqual(plain.status, 0, "\(plain)", file: file, line: line)
        XCTAssertTrue(plain.out.contains("acme.test.BEFORE: old-value"), plain.out, file: file, line: line)
        XCTAssertFalse(plain.out.contains("NEW") || plain.out.contains("paper"), plain.out, file: file, line: line)
    }

    func testDiskFullDuringSetAndRecipientAddLosesNothingAndSaysSo() throws {
        let (h, mount, identity) = try ownerOnTmpfs()
        defer { mount.unmount() }
        let before = try Data(contentsOf: h.manifest("human"))
        let backup = h.dir.file("backup.txt")
        XCTAssertEqual(try Run.process("age-keygen", ["-o", backup.path]).status, 0)
        let backupPub = try Run.process("age-keygen", ["-y", backup.path]).out.trimmingCharacters(in: .whitespacesAndNewlines)

        try mount.fill()
        let snapshot = try state(h)

        let set = try h.keyrack(["set", "--key", "NEW", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "new-value")
        XCTAssertEqual(set.status, 1, "\(set)")
        assertOneLine(set)
        XCTAssertTrue(set.err.contains("No space left on device") && set.err.contains("is full") && set.err.contains("free some space"), set.err)
        XCTAssertTrue(set.err.contains(h.keyrackHome.path), "the error names the directory whose disk is full: \(set.err)")
        XCTAssertFalse(set.err.contains("new-value"))
        print("disk full: \(set.err)")
        XCTAssertEqual(try state(h), snapshot, "a failed set must leave every file as it was (no temp file either)")
        try assertStillOld(h, identity, before)

        let add = try h.keyrack(["recipient", "add", "--pubkey", backupPub, "--label", "paper"])
        XCTAssertEqual(add.status, 1, "\(add)")
        assertOneLine(add)
        XCTAssertTrue(add.err.contains("is full") && add.err.contains("free some space"), add.err)
        XCTAssertEqual(try state(h), snapshot)
        try assertStillOld(h, identity, before)

        // Space back: the same commands succeed, so the failure was the disk, not the owner.
        mount.unfill()
        try h.ok(["set", "--key", "NEW", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "new-value")
        try h.ok(["recipient", "add", "--pubkey", backupPub, "--label", "paper"])
        let after = try Run.process("age", ["-d", "-i", backup.path, h.manifest("human").path])
        XCTAssertEqual(after.status, 0, "\(after)")
        XCTAssertTrue(after.out.contains("acme.test.NEW: new-value") && after.out.contains("acme.test.BEFORE: old-value"), after.out)
    }

    func testReadOnlyHomeDuringSetAndRecipientAddLosesNothingAndSaysSo() throws {
        let (h, mount, identity) = try ownerOnTmpfs()
        defer { mount.unmount() }
        let before = try Data(contentsOf: h.manifest("human"))
        let backup = h.dir.file("backup.txt")
        XCTAssertEqual(try Run.process("age-keygen", ["-o", backup.path]).status, 0)
        let backupPub = try Run.process("age-keygen", ["-y", backup.path]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        let snapshot = try state(h)

        try mount.remount(readOnly: true)
        defer { try? mount.remount(readOnly: false) }
        for args in [["set", "--key", "NEW", "--env", "test", "--org", "acme", "--vault", "os.secure"],
                     ["recipient", "add", "--pubkey", backupPub, "--label", "paper"]] {
            let r = try h.keyrack(args, stdin: "new-value")
            XCTAssertEqual(r.status, 1, "\(args[0]): \(r)")
            assertOneLine(r)
            XCTAssertTrue(r.err.contains("Read-only file system") && r.err.contains("read-only") && r.err.contains("remount it read-write"), r.err)
            XCTAssertTrue(r.err.contains(h.keyrackHome.path), r.err)
            XCTAssertFalse(r.err.contains("new-value"))
            XCTAssertEqual(try state(h), snapshot)
            try assertStillOld(h, identity, before)
        }
        // Reads still work on a read-only home.
        XCTAssertTrue(try h.ok(["list", "--json"]).out.contains("acme.test.BEFORE"))
    }

    /// 200 `set`s, each SIGKILLed after a random delay spread over a whole run of `set` (measured
    /// first). After every kill the manifest decrypts with Debian's `age` and holds exactly the
    /// last committed value or the new one; at most the killed writer's one temp file lingers,
    /// and the next write sweeps it.
    func testKillNineAtRandomPointsOfSetLeavesOldOrNewState() throws {
        let h = try ManifestHarness()
        let identity = h.keyrackHome.appendingPathComponent("identities/human.txt")
        try h.ok(["init", "--via", "age"])
        let args = ["set", "--key", "K", "--env", "test", "--org", "acme", "--vault", "os.secure"]
        try h.ok(args, stdin: "state-0")
        func value() throws -> String? {
            let plain = try h.ageDecrypt("human", identity: identity)
            XCTAssertEqual(plain.status, 0, "the manifest must always decrypt: \(plain)")
            return plain.out.split(separator: "\n").first { $0.hasPrefix("  acme.test.K: ") }.map { String($0.dropFirst("  acme.test.K: ".count)) }
        }
        // The span of one whole `set`, so kills land anywhere from exec to exit.
        var spans: [Double] = []
        for i in 1...3 {
            let t0 = Date()
            try h.ok(args, stdin: "state-warm-\(i)")
            spans.append(Date().timeIntervalSince(t0))
        }
        let span = spans.sorted()[1]
        var env = ProcessInfo.processInfo.environment
        for (k, v) in h.environment { env[k] = v }

        var committed = "state-warm-3"
        var (sawOld, sawNew) = (0, 0)
        let started = Date()
        for i in 1...200 {
            let next = "state-\(i)"
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Run.keyrackBinary)
            p.arguments = args
            p.environment = env
            p.currentDirectoryURL = h.dir.url
            let input = Pipe()
            p.standardInput = input
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            try input.fileHandleForWriting.write(contentsOf: Data(next.utf8))
            try input.fileHandleForWriting.close()
            usleep(UInt32.random(in: 0...UInt32(span * 1.1 * 1_000_000)))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()

            let now = try value()
            if now == committed { sawOld += 1 } else if now == next { sawNew += 1; committed = next } else {
                XCTFail("run \(i): the manifest holds \(now ?? "no value"), neither the old \(committed) nor the new \(next)")
                break
            }
            if p.terminationReason == .exit { XCTAssertEqual(now, next, "run \(i) exited \(p.terminationStatus) before the kill") }
            let temps = try leftovers(h)
            XCTAssertLessThanOrEqual(temps.count, 1, "run \(i): temp files accumulate: \(temps)")
        }
        let elapsed = Date().timeIntervalSince(started)
        // Both outcomes seen: the kills really landed before and after the commit point.
        XCTAssertGreaterThan(sawOld, 0, "no kill landed before the commit: the test did not exercise anything")
        XCTAssertGreaterThan(sawNew, 0, "no set ever committed before its kill")
        print("kill -9 x200: \(sawOld) old, \(sawNew) new, one set takes \(Int(span * 1000)) ms, loop \(Int(elapsed)) s")

        try h.ok(args, stdin: "final")
        XCTAssertEqual(try value(), "final")
        XCTAssertEqual(try leftovers(h), [], "the next write sweeps a killed writer's temp file")
    }

    private func leftovers(_ h: ManifestHarness) throws -> [String] {
        let walker = FileManager.default.enumerator(atPath: h.keyrackHome.path)
        return (walker?.allObjects as? [String] ?? []).filter { $0.contains(".tmp-") || $0.contains(".new-") }
    }

    /// The card leaves while unlock waits for its touch (the closest safe stand-in for pcscd
    /// stopping: the shared pcscd serves every other card test). Exit 5, one line naming the card
    /// problem, nothing written, and the daemon holds nothing.
    func testCardPulledMidUnlockIsACardErrorAndWritesNothing() throws {
        let card = try SimulatedCard.insert(touch: "auto")
        defer { card.remove() }
        let h = try DaemonHarness()
        defer { h.tearDown() }
        try h.ok(["init", "--via", "yubikey", "--serial", String(card.serial), "--pin-stdin",
                  "--pin-policy", "never", "--touch-policy", "always"], stdin: "123456\n")
        try h.ok(["set", "--key", "TOKEN", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: randomSecret("card"))
        let before = try h.machine.snapshot()

        // The next touch takes 20 s: unlock is then certainly waiting on the card when it goes.
        try card.setTouch("20000")
        var env = h.machine.environment
        env["XDG_RUNTIME_DIR"] = h.runtime.path
        let unlock = try WatchedProcess(Run.keyrackBinary, ["unlock", "--env", "test"], environment: env, cwd: h.machine.dir.url)
        XCTAssertTrue(unlock.wait(seconds: 20) { unlock.err.contains("touch your YubiKey") }, "unlock never asked for a touch: \(unlock.err)")
        card.remove()
        let r = unlock.finish(seconds: 30)
        XCTAssertEqual(r.status, 5, "\(r)")
        let message = r.err.split(separator: "\n").filter { !$0.contains("touch your YubiKey") }
        XCTAssertEqual(message.count, 1, "one line after the touch prompt: \(r.err)")
        let text = message.first.map(String.init) ?? ""
        XCTAssertTrue(text.localizedCaseInsensitiveContains("card") || text.localizedCaseInsensitiveContains("yubikey"), text)
        XCTAssertTrue(text.contains("insert") || text.contains("plug") || text.contains("retry") || text.contains("again"), "says what to do: \(text)")
        print("card pulled mid-unlock: \(text)")
        XCTAssertEqual(try h.machine.snapshot(), before, "nothing written")

        let status = try h.keyrack(["status", "--json"])
        XCTAssertFalse(status.out.contains("acme.test.TOKEN"), "the daemon holds nothing: \(status)")
        let get = try h.keyrack(["get", "--key", "acme.test.TOKEN", "--value"])
        XCTAssertEqual(get.status, 3, "\(get)")
    }
}
