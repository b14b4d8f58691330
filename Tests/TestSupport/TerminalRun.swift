import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program with a new pseudo-terminal as its controlling terminal and stdin/stdout/stderr,
/// answering prompts as a person would.
public enum TerminalRun {
    public struct Result {
        public let status: Int32
        public let transcript: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// `answers` are typed in order: each one once `prompt` has appeared on the terminal (after the
    /// previous answer) and echo is off (or, with `echoed`, at once: for questions that are not
    /// secret). Fails if the run takes longer than `timeout` seconds.
    /// `afterExit` gets the terminal's path (/dev/pts/N) once the program has exited, while the
    /// terminal still exists, to inspect the state the program left it in.
    public static func run(_ executable: String, _ arguments: [String], answers: [(prompt: String, reply: String)],
                    echoed: Bool = false, timeout: TimeInterval = 300, environment: [String: String?] = [:],
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
                if let range = screen.range(of: next.prompt), echoed || echoIsOff(slave) {
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
