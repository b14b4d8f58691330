import Foundation
import TestSupport
import XCTest

/// Issue 24 (LOW): the age client is not trusted by age-plugin-keyrack. A hostile header with a
/// 64 MB stanza body is cut off once the daemon's frame cap (4 MiB) has been read: the plugin
/// neither reads the rest nor grows to hold it, and says why in one line.
final class AgePluginBoundTests: XCTestCase {
    func testHostileOversizedStanzaIsRefusedAfterTheFrameCapWithBoundedMemory() throws {
        let plugin = Run.buildDirectory.appendingPathComponent("age-plugin-keyrack").path
        // GNU time forks the plugin and reports its peak RSS: a child posix_spawn'd from this test
        // would count the test process's own pages (vfork shares them until exec, and the kernel
        // keeps that high-water mark), 90 MB late in a full run.
        let files = try TempDirectory("keyrack-plugin-rss")
        defer { files.remove() }
        let p = try Stalled("/usr/bin/time", ["-f", "%M", "-o", files.file("maxrss").path, plugin, "--age-plugin=identity-v1"],
                            environment: [:], blocksOn: .input, stderr: files.file("stderr"))
        signal(SIGPIPE, SIG_IGN)

        // The client's side: an identity, then one recipient stanza whose body is 64 MB of base64,
        // written until the plugin stops reading (EPIPE once it has exited).
        // (Phase 1 is read whole before any identity is looked at: its spelling does not matter.)
        let identity = "AGE-PLUGIN-KEYRACK-1QQQQ"
        var sent = 0
        func send(_ bytes: [UInt8]) -> Bool {
            var done = 0
            while done < bytes.count {
                let n = bytes.withUnsafeBytes { write(p.inputFD, $0.baseAddress! + done, bytes.count - done) }
                if n > 0 { done += n; sent += n } else if n < 0 && errno == EINTR { continue } else { return false }
            }
            return true
        }
        let line = Array(String(repeating: "A", count: 64).utf8) + [0x0a]
        var block: [UInt8] = []
        for _ in 0..<1024 { block += line }  // 65 KiB of body lines
        var open = send(Array("-> add-identity \(identity)\n\n-> recipient-stanza 0 X25519 AAAA\n".utf8))
        let target = 64 << 20
        while open && sent < target { open = send(block) }
        let (status, _) = p.finish()
        let maxRSSKiB = Int(String(decoding: try files.read("maxrss"), as: UTF8.self)
            .split(separator: "\n").last.map(String.init) ?? "") ?? Int.max
        let message = String(decoding: p.stderrBytes, as: UTF8.self)
        print("plugin: exit \(status), read ≤ \(sent) of \(target) bytes offered, max RSS \(maxRSSKiB) KiB: \(message)")

        XCTAssertEqual(status, 1, message)
        XCTAssertFalse(open, "the plugin stopped reading: the rest of the 64 MB was never taken")
        XCTAssertLessThan(sent, 6 << 20, "at most the 4 MiB cap and a pipe's worth were accepted")
        XCTAssertLessThan(maxRSSKiB, 64 << 10, "max RSS stays far below the 64 MB offered (KiB)")
        XCTAssertTrue(message.contains("age-plugin-keyrack: the age client sent more than 4 MiB of stanzas, more than this plugin takes: the file's header is corrupt or hostile; nothing was decrypted"), message)
        XCTAssertEqual(message.split(separator: "\n").count, 1, "one line: \(message)")
    }
}
