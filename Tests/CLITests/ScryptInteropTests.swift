import Foundation
import XCTest
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Passphrase files between keyrack and Debian's `age` 1.1.1, both directions, binary and armored.
///
/// Both programs read passphrases only from the controlling terminal, never from stdin or argv, so
/// each run gets a fresh pseudo-terminal as its controlling tty (`setsid -w -c`), and the test
/// types the passphrase when the prompt is on screen *and* the program has turned echo off (that
/// is the moment it reads; typing earlier races a TCSAFLUSH and the keystrokes are lost).
final class ScryptInteropTests: XCTestCase {
    var dir: TempDirectory!
    var passphrase = ""

    override func setUpWithError() throws {
        dir = try TempDirectory("keyrack-scrypt")
        // A fresh test passphrase per run, never a constant in the repo.
        passphrase = "pw-" + randomBytes(9).map { String(format: "%02x", $0) }.joined()
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: Run.keyrackBinary), "build keyrack first: \(Run.keyrackBinary)")
        let age = try Run.process("age", ["--version"])
        XCTAssertEqual(age.status, 0, "Debian's age must be installed (scripts/install-deps): \(age)")
    }

    override func tearDown() { dir?.remove() }

    // MARK: age → keyrack

    func testAgeEncryptsKeyrackDecrypts() throws {
        for (size, armor) in [(0, false), (1, true), (65536, false), (65536, true), (5 << 20, false), (3 << 20 + 7, true)] {
            let plain = try dir.write("plain-\(size)", randomBytes(size))
            let sealed = dir.file("age-\(size)-\(armor).age").path
            let enc = try TerminalRun.run("age", ["-p"] + (armor ? ["-a"] : []) + ["-o", sealed, plain.path],
                                          answers: [("Enter passphrase", passphrase), ("Confirm passphrase", passphrase)])
            XCTAssertEqual(enc.status, 0, "age -p failed: \(enc.transcript)")
            let header = try dir.read("age-\(size)-\(armor).age").prefix(armor ? 34 : 40)
            XCTAssertTrue(armor ? header.starts(with: Array("-----BEGIN AGE ENCRYPTED FILE-----".utf8))
                                : String(decoding: header, as: UTF8.self).contains("-> scrypt "), "age wrote no scrypt stanza")

            let out = dir.file("kr-out-\(size)-\(armor)").path
            let dec = try TerminalRun.run(Run.keyrackBinary, ["age", "decrypt", "-o", out, sealed],
                                          answers: [("passphrase", passphrase)])
            XCTAssertEqual(dec.status, 0, "keyrack age decrypt failed (size \(size), armor \(armor)): \(dec.transcript)")
            XCTAssertEqual(try dir.read("kr-out-\(size)-\(armor)"), try dir.read("plain-\(size)"), "size \(size) armor \(armor)")
        }
    }

    // MARK: keyrack → age

    func testKeyrackEncryptsAgeDecrypts() throws {
        for (size, armor) in [(0, true), (1, false), (65536, false), (65536, true), (5 << 20, true), (3 << 20 + 7, false)] {
            let plain = try dir.write("plain-\(size)", randomBytes(size))
            let sealed = dir.file("kr-\(size)-\(armor).age").path
            let enc = try TerminalRun.run(Run.keyrackBinary, ["age", "encrypt", "-p"] + (armor ? ["-a"] : []) + ["-o", sealed, plain.path],
                                          answers: [("Enter passphrase", passphrase), ("Confirm passphrase", passphrase)])
            XCTAssertEqual(enc.status, 0, "keyrack age encrypt -p failed: \(enc.transcript)")
            let bytes = try dir.read("kr-\(size)-\(armor).age")
            if !armor {
                let text = String(decoding: bytes.prefix(80), as: UTF8.self)
                XCTAssertTrue(text.hasPrefix("age-encryption.org/v1\n-> scrypt "), text)
                XCTAssertTrue(text.contains(" 18\n"), "age's default work factor 18: \(text)")
            }

            let out = dir.file("age-out-\(size)-\(armor)").path
            let dec = try TerminalRun.run("age", ["-d", "-o", out, sealed], answers: [("Enter passphrase", passphrase)])
            XCTAssertEqual(dec.status, 0, "age -d failed on keyrack's file (size \(size), armor \(armor)): \(dec.transcript)")
            // age 1.1.1 opens -o lazily, at the first plaintext byte: an empty file leaves no output.
            let decrypted = size == 0 && !FileManager.default.fileExists(atPath: out) ? [] : try dir.read("age-out-\(size)-\(armor)")
            XCTAssertEqual(decrypted, try dir.read("plain-\(size)"), "size \(size) armor \(armor)")
        }
    }

    // MARK: failures

    func testWrongPassphraseFailsCleanly() throws {
        let plain = try dir.write("plain", Array("secret manifest".utf8))
        let sealed = dir.file("p.age").path
        let enc = try TerminalRun.run("age", ["-p", "-o", sealed, plain.path],
                                      answers: [("Enter passphrase", passphrase), ("Confirm passphrase", passphrase)])
        XCTAssertEqual(enc.status, 0, enc.transcript)

        let out = dir.file("out").path
        let dec = try TerminalRun.run(Run.keyrackBinary, ["age", "decrypt", "-o", out, sealed], answers: [("passphrase", passphrase + "x")])
        XCTAssertEqual(dec.status, 1, dec.transcript)
        XCTAssertTrue(dec.transcript.contains("incorrect passphrase"), "a wrong passphrase is named as such: \(dec.transcript)")
        XCTAssertFalse(dec.transcript.contains(passphrase), "the passphrase must never be echoed or printed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "no output file on failure")

        // And age agrees that the file is fine with the right passphrase.
        let ok = try TerminalRun.run("age", ["-d", "-o", out, sealed], answers: [("Enter passphrase", passphrase)])
        XCTAssertEqual(ok.status, 0, ok.transcript)
        XCTAssertEqual(try dir.read("out"), Array("secret manifest".utf8))
    }

    func testPassphraseCannotBeMixedWithRecipients() throws {
        let plain = try dir.write("plain", [1, 2, 3])
        let key = try Run.process("age-keygen", [])
        let recipient = key.err.components(separatedBy: "Public key: ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        XCTAssertTrue(recipient.hasPrefix("age1"), key.description)
        let run = try Run.keyrack(["age", "encrypt", "-p", "-r", recipient, "-o", dir.file("x.age").path, plain.path])
        XCTAssertEqual(run.status, 2, "a usage error: \(run)")
        XCTAssertTrue(run.err.contains("passphrase"), run.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("x.age").path))
    }
}

/// Runs a program with a new pseudo-terminal as its controlling terminal and stdin/stdout/stderr,
/// answering prompts as a person would.
enum TerminalRun {
    struct Result {
        let status: Int32
        let transcript: String
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// `answers` are typed in order: each one once `prompt` has appeared on the terminal (after the
    /// previous answer) and echo is off. Fails if the run takes longer than `timeout` seconds.
    /// `afterExit` gets the terminal's path (/dev/pts/N) once the program has exited, while the
    /// terminal still exists, to inspect the state the program left it in.
    static func run(_ executable: String, _ arguments: [String], answers: [(prompt: String, reply: String)],
                    timeout: TimeInterval = 300, environment: [String: String?] = [:],
                    afterExit: ((String) throws -> Void)? = nil) throws -> Result {
        // posix_openpt and friends are hidden from Swift's Glibc module; these are their Linux
        // insides: open the multiplexer, unlock the new pair, ask its number.
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        var unlock: Int32 = 0, number: UInt32 = 0
        let TIOCSPTLCK: UInt = 0x4004_5431, TIOCGPTN: UInt = 0x8004_5430  // asm-generic ioctls
        guard master >= 0, ioctl(master, TIOCSPTLCK, &unlock) == 0, ioctl(master, TIOCGPTN, &number) == 0 else {
            throw Failure(description: "cannot allocate a pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        defer { close(master) }
        let slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        guard slave >= 0 else { throw Failure(description: "cannot open the terminal's slave side") }
        let slaveHandle = FileHandle(fileDescriptor: slave, closeOnDealloc: false)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        // -w: wait and pass on the exit status; -c: make the terminal on stdin the controlling one.
        let path = executable.contains("/") ? executable : "/usr/bin/\(executable)"
        process.arguments = ["-w", "-c", path] + arguments
        if !environment.isEmpty {
            var e = ProcessInfo.processInfo.environment
            for (k, v) in environment { e[k] = v }
            process.environment = e
        }
        process.standardInput = slaveHandle
        process.standardOutput = slaveHandle
        process.standardError = slaveHandle
        try process.run()

        var transcript: [UInt8] = []
        var pending = answers[...]
        var searchFrom = 0
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        var exitedAt: Date?
        while true {
            guard Date() < deadline else {
                process.terminate()
                throw Failure(description: "timed out after \(timeout)s; terminal so far:\n\(String(decoding: transcript, as: UTF8.self))")
            }
            var pfd = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 50) > 0, pfd.revents & Int16(POLLIN) != 0 {
                let n = read(master, &buffer, buffer.count)
                if n > 0 { transcript += buffer[..<n] }
            }
            if let next = pending.first {
                let screen = String(decoding: transcript[searchFrom...], as: UTF8.self)
                if let range = screen.range(of: next.prompt), echoIsOff(slave) {
                    searchFrom += screen[..<range.upperBound].utf8.count
                    // A reply ending in ^C is an interrupt, not a line: no newline after it.
                    let line = Array((next.reply.hasSuffix("\u{3}") ? next.reply : next.reply + "\n").utf8)
                    _ = line.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
                    pending = pending.dropFirst()
                }
            }
            if !process.isRunning {
                // Drain what the program printed last, then stop when the terminal goes quiet.
                if exitedAt == nil { exitedAt = Date() }
                var quiet = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                if poll(&quiet, 1, 0) <= 0 || Date().timeIntervalSince(exitedAt!) > 2 { break }
            }
        }
        process.waitUntilExit()
        try afterExit?("/dev/pts/\(number)")
        close(slave)
        let text = String(decoding: transcript, as: UTF8.self)
        if let unanswered = pending.first {
            throw Failure(description: "the program exited (status \(process.terminationStatus)) before asking '\(unanswered.prompt)':\n\(text)")
        }
        return Result(status: process.terminationStatus, transcript: text)
    }

    private static func echoIsOff(_ fd: Int32) -> Bool {
        var attributes = termios()
        guard tcgetattr(fd, &attributes) == 0 else { return false }
        return attributes.c_lflag & tcflag_t(ECHO) == 0
    }
}
