import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A writer killed mid-write leaves a manifest that still decrypts (a real process, killed by the
/// kernel). Concurrent writers and damaged manifests in-process:
/// KeyrackAppTests/Manifest/ManifestDurabilityTests.swift.
final class ManifestDurabilityTests: XCTestCase {
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

        let p = try WatchedProcess("/usr/bin/prlimit", ["--fsize=\(limit):\(limit)", "--", Run.keyrackBinary,
                                                       "set", "--for", "seaturtle", "--key", "DURING", "--env", "sudo", "--vault", "os.envvar"],
                                   environment: h.environment).process
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
}
