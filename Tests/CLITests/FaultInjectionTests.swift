import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Faults the machine, not keyrack, causes — a SIGKILL at any instant, a card pulled mid-ECDH —
/// must lose nothing and say, in one line, what happened and what to do. Black-box: the built
/// binary, the real `age`. A full disk and a read-only home (real tmpfs mounts) in-process:
/// KeyrackAppTests/Manifest/FullOrReadOnlyHomeTests.swift; a dead daemon's leftover socket:
/// KeyrackAppTests/Output/TruthfulErrorTests.swift.
final class FaultInjectionTests: XCTestCase {
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

        var committed = "state-warm-3"
        var (sawOld, sawNew) = (0, 0)
        let started = Date()
        for i in 1...200 {
            let next = "state-\(i)"
            let p = try WatchedProcess(Run.keyrackBinary, args, environment: h.environment, stdin: Array(next.utf8), cwd: h.dir.url).process
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
        let unlock = try h.watched(["unlock", "--env", "test"])
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
