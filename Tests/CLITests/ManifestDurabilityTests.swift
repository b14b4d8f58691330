import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Concurrent writers lose nothing; a writer killed mid-write leaves a manifest that still
/// decrypts; a damaged manifest is reported and never overwritten.
final class ManifestDurabilityTests: XCTestCase {
    func testTwentyConcurrentSetsLeaveTwentyKeys() throws {
        let h = try ManifestHarness()
        try h.ok(["init", "--for", "seaturtle", "--via", "age"])
        let results = UnsafeMutableBufferPointer<Int32>.allocate(capacity: 20)
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 20) { i in
            let r = try? h.keyrack(["set", "--for", "seaturtle", "--key", "KEY_\(i)", "--env", "test", "--org", "acme", "--vault", "os.secure"],
                                   stdin: "value-\(i)")
            results[i] = r?.status ?? -1
        }
        XCTAssertEqual(Array(results), Array(repeating: 0, count: 20))
        let list = try ManifestHarness.json(try h.ok(["list", "--for", "seaturtle", "--json"]))
        let slugs = Set((list["keys"] as? [[String: Any]] ?? []).compactMap { $0["slug"] as? String })
        XCTAssertEqual(slugs, Set((0..<20).map { "acme.test.KEY_\($0)" }))
        let plain = try h.ageDecrypt("seaturtle", identity: h.keyrackHome.appendingPathComponent("identities/seaturtle.txt"))
        for i in 0..<20 { XCTAssertTrue(plain.out.contains("acme.test.KEY_\(i): value-\(i)\n"), "value \(i) lost") }
    }

    /// The kernel stops the writer half-way through writing the new file: a file-size limit
    /// (RLIMIT_FSIZE, set with util-linux's prlimit) below the new manifest's size makes the write
    /// that crosses it end short and the next one raise SIGXFSZ, which kills the process. The
    /// manifest on disk is the old one, complete; the owner is not wedged (the kernel dropped the
    /// lock) and the next write removes the dead writer's half-written temp file.
    func testWriterKilledMidWriteLeavesAManifestThatDecrypts() throws {
        let h = try ManifestHarness()
        let identity = h.keyrackHome.appendingPathComponent("identities/seaturtle.txt")
        try h.ok(["init", "--for", "seaturtle", "--via", "age"])
        try h.ok(["set", "--for", "seaturtle", "--key", "BEFORE", "--env", "sudo", "--vault", "os.secure"], stdin: "old")
        let before = try Data(contentsOf: h.manifest("seaturtle"))
        let limit = before.count / 2

        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
        p.arguments = ["--fsize=\(limit):\(limit)", "--", Run.keyrackBinary,
                       "set", "--for", "seaturtle", "--key", "DURING", "--env", "sudo", "--vault", "os.envvar"]
        var env = ProcessInfo.processInfo.environment
        for (k, v) in h.environment { env[k] = v }
        p.environment = env
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal, "exit \(p.terminationStatus)")
        XCTAssertEqual(p.terminationStatus, SIGXFSZ)
        let temps = try FileManager.default.contentsOfDirectory(atPath: h.keyrackHome.path).filter { $0.hasPrefix(".host.seaturtle.yml.age.tmp-") }
        XCTAssertEqual(temps.count, 1, "the killed writer leaves its half-written temp file")
        let size = try temps.first.map { try FileManager.default.attributesOfItem(atPath: h.keyrackHome.appendingPathComponent($0).path)[.size] as? Int }
        XCTAssertEqual(size, limit, "the temp file holds the bytes written before the kill")

        XCTAssertEqual(try Data(contentsOf: h.manifest("seaturtle")), before)
        let plain = try h.ageDecrypt("seaturtle", identity: identity)
        XCTAssertEqual(plain.status, 0, "\(plain)")
        XCTAssertTrue(plain.out.contains("BEFORE"))
        XCTAssertFalse(plain.out.contains("DURING"))

        try h.ok(["set", "--for", "seaturtle", "--key", "AFTER", "--env", "sudo", "--vault", "os.envvar"])
        let after = try h.ageDecrypt("seaturtle", identity: identity)
        XCTAssertTrue(after.out.contains("@all.sudo.AFTER") && after.out.contains("@all.sudo.BEFORE"), after.out)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: h.keyrackHome.path).filter { $0.contains(".tmp-") }, [],
                       "the next writer removes the dead writer's temp file")
    }

    func testCorruptedOrTruncatedManifestIsReportedAndNeverOverwritten() throws {
        let h = try ManifestHarness()
        try h.ok(["init", "--for", "seaturtle", "--via", "age"])
        try h.ok(["set", "--for", "seaturtle", "--key", "A", "--env", "sudo", "--vault", "os.secure"], stdin: "a")
        let good = try Data(contentsOf: h.manifest("seaturtle"))
        let text = String(decoding: good, as: UTF8.self)
        var flipped = Array(good)
        let mid = text.range(of: "\n", options: [], range: text.index(text.startIndex, offsetBy: text.count / 2)..<text.endIndex)!
        let at = text.utf8.distance(from: text.utf8.startIndex, to: mid.lowerBound) - 3
        flipped[at] = flipped[at] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let variants: [(String, Data)] = [
            ("truncated", good.prefix(good.count / 2)),
            ("truncated-at-end", good.prefix(good.count - 40)),
            ("bit-flipped", Data(flipped)),
            ("empty", Data()),
            ("garbage", Data("this is not an age file\n".utf8)),
        ]
        for (name, bytes) in variants {
            try bytes.write(to: h.manifest("seaturtle"))
            let snapshot = try h.snapshot()
            for args in [["set", "--for", "seaturtle", "--key", "B", "--env", "sudo", "--vault", "os.envvar"],
                         ["del", "--for", "seaturtle", "--key", "A", "--env", "sudo"],
                         ["list", "--for", "seaturtle"],
                         ["recipient", "add", "--for", "seaturtle", "--label", "x", "--pubkey", "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"]] {
                let r = try h.keyrack(args)
                XCTAssertEqual(r.status, 1, "\(name) \(args[0]): \(r)")
                XCTAssertTrue(r.err.contains("the host manifest of owner seaturtle") && r.err.contains("is damaged") && r.err.contains("left unchanged"),
                              "\(name) \(args[0]): \(r.err)")
                XCTAssertEqual(r.err.split(separator: "\n").count, 1, "one line: \(r.err)")
                XCTAssertEqual(try h.snapshot(), snapshot, "\(name): \(args[0]) changed a file")
            }
        }
        // Re-init does not clobber a damaged manifest either.
        let r = try h.ok(["init", "--for", "seaturtle", "--via", "age"])
        XCTAssertTrue(r.out.contains("already initialised"))
    }
}
