import XCTest
import Foundation
import TestSupport

/// `keyrack age encrypt|decrypt|keygen` against Debian's `age`/`age-keygen` 1.1.1 end to end: one
/// file each way, binary and armored, and the CLI's own errors. The format at the chunk-boundary
/// sizes and the errors of damaged age files are AgeFormatTests (RoundTripTests,
/// AgeBinaryFileErrorTests), in-process against the same `age`.
final class AgeInteropTests: XCTestCase {
    var dir: TempDirectory!
    override func setUpWithError() throws { dir = try TempDirectory("age-cli") }
    override func tearDown() { dir.remove() }

    let sizes = [5 * 1024 * 1024 + 3]

    /// An identity made by `age-keygen`, and its recipient.
    func ageKeygen() throws -> (path: String, recipient: String) {
        let key = dir.file("age-key-\(UUID().uuidString.prefix(6)).txt")
        return (key.path, try ageKeyPair(at: key))
    }

    func testKeyrackEncryptsAgeDecrypts() throws {
        let (key, recipient) = try ageKeygen()
        for size in sizes {
            let plain = try dir.write("p\(size)", randomBytes(size))
            for armor in [false, true] {
                let out = dir.file("k\(size)\(armor).age").path
                assertExitedZero(try Run.keyrack(["age", "encrypt", "-r", recipient, "-o", out] + (armor ? ["-a"] : []) + [plain.path]), "encrypt \(size)")
                let head = try dir.read("k\(size)\(armor).age").prefix(10)
                XCTAssertEqual(String(decoding: head, as: UTF8.self), armor ? "-----BEGIN" : "age-encryp")
                let d = try Run.process("age", ["-d", "-i", key, out])
                assertExitedZero(d, "age -d \(size) armor \(armor)")
                XCTAssertTrue(d.stdout == (try dir.read("p\(size)")), "size \(size) armor \(armor)")
            }
        }
    }

    func testAgeEncryptsKeyrackDecrypts() throws {
        let (key, recipient) = try ageKeygen()
        for size in sizes {
            let plain = try dir.write("p\(size)", randomBytes(size))
            for armor in [false, true] {
                let out = dir.file("a\(size)\(armor).age").path
                assertExitedZero(try Run.process("age", ["-r", recipient, "-o", out] + (armor ? ["-a"] : []) + [plain.path]), "age -e")
                // From a path to -o, and from stdin to stdout.
                let dec = dir.file("d\(size)").path
                assertExitedZero(try Run.keyrack(["age", "decrypt", "-i", key, "-o", dec, out]), "decrypt \(size)")
                XCTAssertTrue(try dir.read("d\(size)") == (try dir.read("p\(size)")), "size \(size) armor \(armor)")
                let viaPipe = try Run.keyrack(["age", "decrypt", "-i", key], stdin: try dir.read("a\(size)\(armor).age"))
                assertExitedZero(viaPipe, "decrypt stdin")
                XCTAssertTrue(viaPipe.stdout == (try dir.read("p\(size)")))
            }
        }
    }

    /// age's tools read keyrack's key file, and keyrack's `-y` reads it as age-keygen does. (The
    /// file's mode, never overwriting it and -R/-i encryption: KeyrackAppTests/Age.)
    func testKeyrackKeygenWorksWithAge() throws {
        let key = dir.file("kr.key").path
        let gen = try Run.keyrack(["age", "keygen", "-o", key])
        assertExitedZero(gen, "keygen")
        XCTAssertTrue(gen.err.hasPrefix("Public key: age1"), gen.err)
        let ageView = try Run.process("age-keygen", ["-y", key])
        assertExitedZero(ageView, "age-keygen -y")
        let ours = try Run.keyrack(["age", "keygen", "-y", key])
        assertExitedZero(ours, "keygen -y")
        XCTAssertEqual(ours.out, ageView.out)
        XCTAssertEqual("Public key: " + ageView.out.trimmingCharacters(in: .whitespacesAndNewlines), gen.err.trimmingCharacters(in: .whitespacesAndNewlines))
        // Never overwrites a key, and says so as a failure (exit 1).
        let again = try Run.keyrack(["age", "keygen", "-o", key])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.err.contains("already exists"), again.err)
    }

    /// Memory stays flat: 256 MiB streamed through encrypt and decrypt in one pipeline, and the
    /// largest resident set of any process in it (GNU time reports the max over descendants)
    /// stays under 64 MiB. (The 1 GiB figure is in scripts/bench.)
    func testStreamingMemoryStaysFlat() throws {
        let (key, recipient) = try ageKeygen()
        let bin = Run.keyrackBinary
        let script = "head -c 268435456 /dev/zero | '\(bin)' age encrypt -r \(recipient) | '\(bin)' age decrypt -i '\(key)' | wc -c"
        let r = try Run.process("/usr/bin/time", ["-v", "sh", "-c", script])
        assertExitedZero(r, "pipeline")
        XCTAssertEqual(r.out.trimmingCharacters(in: .whitespacesAndNewlines), "268435456")
        let rssLine = r.err.split(separator: "\n").first { $0.contains("Maximum resident set size") }
        let kib = Int(rssLine?.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "") ?? -1
        XCTAssertGreaterThan(kib, 0, r.err)
        XCTAssertLessThan(kib, 64 * 1024, "max RSS \(kib) KiB")
    }

    /// In-flight memory is bounded by the core count, not the file: encrypting and decrypting
    /// 64 MiB stays within one 1 MiB batch per core (plus 2 MiB of slack: thread stacks, the
    /// allocator) of the same command on 1 KiB, which is the process's own start-up.
    func testStreamMemoryIsOneBatchPerCore() throws {
        let (key, recipient) = try ageKeygen()
        let small = try dir.write("small", randomBytes(1024)).path
        let big = dir.file("big").path
        assertExitedZero(try Run.process("sh", ["-c", "head -c 67108864 /dev/urandom > '\(big)'"]), "make 64 MiB")
        func maxRSSKiB(_ arguments: [String]) throws -> Int {
            let r = try Run.process("/usr/bin/time", ["-f", "rss=%M", Run.keyrackBinary] + arguments)
            assertExitedZero(r, "keyrack \(arguments)")
            let line = r.err.split(separator: "\n").last { $0.hasPrefix("rss=") } ?? ""
            return Int(line.dropFirst(4)) ?? -1
        }
        let bound = (ProcessInfo.processInfo.activeProcessorCount + 2) * 1024
        for (name, input) in [("small", small), ("big", big)] {
            assertExitedZero(try Run.process(Run.keyrackBinary, ["age", "encrypt", "-r", recipient, "-o", "\(input).age", input]), "warm up")
        }
        let encryptSmall = try maxRSSKiB(["age", "encrypt", "-r", recipient, "-o", "\(small).age", small])
        let encryptBig = try maxRSSKiB(["age", "encrypt", "-r", recipient, "-o", "\(big).age", big])
        let decryptSmall = try maxRSSKiB(["age", "decrypt", "-i", key, "-o", "\(small).out", "\(small).age"])
        let decryptBig = try maxRSSKiB(["age", "decrypt", "-i", key, "-o", "\(big).out", "\(big).age"])
        XCTAssertGreaterThan(encryptSmall, 0)
        XCTAssertGreaterThan(decryptSmall, 0)
        XCTAssertLessThanOrEqual(encryptBig - encryptSmall, bound, "encrypt: \(encryptBig) KiB for 64 MiB, \(encryptSmall) KiB for 1 KiB")
        XCTAssertLessThanOrEqual(decryptBig - decryptSmall, bound, "decrypt: \(decryptBig) KiB for 64 MiB, \(decryptSmall) KiB for 1 KiB")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: "\(big).out")), try Data(contentsOf: URL(fileURLWithPath: big)))
    }

    // MARK: errors

    func testWrongIdentity() throws {
        let a = try ageKeygen(), other = try ageKeygen()
        let file = try Run.process("age", ["-r", a.recipient], stdin: Array("secret".utf8)).stdout
        let out = dir.file("out").path
        let r = try Run.keyrack(["age", "decrypt", "-i", other.path, "-o", out], stdin: file)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.hasPrefix("error: no identity matched"), r.err)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "no output file for a wrong key")
        XCTAssertTrue(r.stdout.isEmpty)
    }

    /// A file cut after its first chunk: the authenticated chunk may be written as it
    /// authenticates, but the command fails and -o's file is removed. (What is released before
    /// the error: AgeBinaryFileErrorTests.testTruncatedReleasesOnlyAuthenticatedChunks.)
    func testTruncatedRemovesOutput() throws {
        let a = try ageKeygen()
        let plain = randomBytes(3 * 65536 + 100)
        let file = try Run.process("age", ["-r", a.recipient], stdin: plain).stdout
        let cut = Array(file.prefix(file.count - (65536 + 100 + 32)))
        let out = dir.file("plain").path
        let r = try Run.keyrack(["age", "decrypt", "-i", a.path, "-o", out], stdin: cut)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("error: the file is truncated"), r.err)
        XCTAssertTrue(r.err.contains("removed the incomplete output"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    /// The command line's errors, as ArgumentParser and the CLI's flags word them (exit 2). (A
    /// bad recipient naming no secret, a missing identity file: KeyrackAppTests/Age.)
    func testUsageErrors() throws {
        let none = try Run.keyrack(["age", "encrypt"], stdin: [1])
        XCTAssertEqual(none.status, 2)
        XCTAssertTrue(none.err.contains("missing recipients"), none.err)
        let bad = try Run.keyrack(["age", "encrypt", "-r", "age1notakey"], stdin: [1])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.err.contains("invalid -r recipient"), bad.err)
    }
}
