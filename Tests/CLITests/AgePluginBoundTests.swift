import Foundation
import TestSupport
import XCTest

/// Issue 24 (LOW): the age client is not trusted by age-plugin-keyrack. A hostile header with a
/// 64 MB stanza body is cut off once the daemon's frame cap (4 MiB) has been read: the plugin
/// neither reads the rest nor grows to hold it, and says why in one line.
final class AgePluginBoundTests: XCTestCase {
    func testHostileOversizedStanzaIsRefusedAfterTheFrameCapWithBoundedMemory() throws {
        let plugin = Run.buildDirectory.appendingPathComponent("age-plugin-keyrack").path
        var input: [Int32] = [0, 0], errors: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&input), 0)
        XCTAssertEqual(pipe(&errors), 0)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        posix_spawn_file_actions_addclose(&actions, input[1])
        posix_spawn_file_actions_addclose(&actions, errors[0])
        // GNU time forks the plugin and reports its peak RSS: a child posix_spawn'd from this test
        // would count the test process's own pages (vfork shares them until exec, and the kernel
        // keeps that high-water mark), 90 MB late in a full run.
        let rssFile = try TempDirectory("keyrack-plugin-rss")
        defer { rssFile.remove() }
        let time = "/usr/bin/time", rssPath = rssFile.file("maxrss").path
        let words: [String] = [time, "-f", "%M", "-o", rssPath, plugin, "--age-plugin=identity-v1"]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        XCTAssertEqual(posix_spawn(&pid, time, &actions, nil, argv, environ), 0)
        close(input[0]); close(errors[1])
        signal(SIGPIPE, SIG_IGN)

        // The client's side: an identity, then one recipient stanza whose body is 64 MB of base64,
        // written until the plugin stops reading (EPIPE once it has exited).
        // (Phase 1 is read whole before any identity is looked at: its spelling does not matter.)
        let identity = "AGE-PLUGIN-KEYRACK-1QQQQ"
        var sent = 0
        func send(_ bytes: [UInt8]) -> Bool {
            var done = 0
            while done < bytes.count {
                let n = bytes.withUnsafeBytes { write(input[1], $0.baseAddress! + done, bytes.count - done) }
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
        close(input[1])

        var status: Int32 = 0
        XCTAssertEqual(waitpid(pid, &status, 0), pid)
        let maxRSSKiB = Int(String(decoding: try rssFile.read("maxrss"), as: UTF8.self)
            .split(separator: "\n").last.map(String.init) ?? "") ?? Int.max
        var stderrText: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true { let n = read(errors[0], &chunk, chunk.count); if n <= 0 { break }; stderrText += chunk[0..<n] }
        close(errors[0])
        let message = String(decoding: stderrText, as: UTF8.self)
        print("plugin: exit \((status >> 8) & 0xff), read ≤ \(sent) of \(target) bytes offered, max RSS \(maxRSSKiB) KiB: \(message)")

        XCTAssertEqual((status >> 8) & 0xff, 1, message)
        XCTAssertFalse(open, "the plugin stopped reading: the rest of the 64 MB was never taken")
        XCTAssertLessThan(sent, 6 << 20, "at most the 4 MiB cap and a pipe's worth were accepted")
        XCTAssertLessThan(maxRSSKiB, 64 << 10, "max RSS stays far below the 64 MB offered (KiB)")
        XCTAssertTrue(message.contains("age-plugin-keyrack: the age client sent more than 4 MiB of stanzas, more than this plugin takes: the file's header is corrupt or hostile; nothing was decrypted"), message)
        XCTAssertEqual(message.split(separator: "\n").count, 1, "one line: \(message)")
    }
}
