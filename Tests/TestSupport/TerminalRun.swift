import Foundation
import ProcessSpawn
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program with a new pseudo-terminal as its controlling terminal and stdin/stdout/stderr,
/// answering prompts as a person would.
///
/// The program starts as a terminal starts a person's command, whatever state the test process
/// is in, and its end is seen with waitpid. Foundation's `Process` did neither, and each made a
/// ^C typed at a prompt look like a program that would not die (the run timed out, the prompt
/// still on the terminal; PromptTests has one test per way):
/// - it hands the child every signal the test process ignores and every one its calling thread
///   blocks (a test runner started as `cmd &` in a script ignores SIGINT; keyrack keeps an
///   ignored SIGINT ignored, as nohup'd programs must);
/// - it sees an exit on one monitor thread, which blocks in waitpid on any child of the test
///   process that closed the descriptors it inherited and lives on, so no run ends until that
///   child does.
/// The terminal's two ends are close-on-exec, so no other program the test process starts
/// meanwhile holds them.
public enum TerminalRun {
    public struct Result {
        /// The program's exit code, or 128 + the signal that ended it, as a shell reports it.
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
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        var unlock: Int32 = 0, number: UInt32 = 0
        let TIOCSPTLCK: UInt = 0x4004_5431, TIOCGPTN: UInt = 0x8004_5430  // asm-generic ioctls
        guard master >= 0, ioctl(master, TIOCSPTLCK, &unlock) == 0, ioctl(master, TIOCGPTN, &number) == 0 else {
            throw Failure(description: "cannot allocate a pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        defer { close(master) }
        let slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard slave >= 0 else { throw Failure(description: "cannot open the terminal's slave side") }

        // setsid -c: a session of its own whose controlling terminal is the one on stdin. Started
        // in the test process's group, setsid does not fork: the pid is the program's own.
        let path = executable.contains("/") ? executable : "/usr/bin/\(executable)"
        var e = ProcessInfo.processInfo.environment
        for (k, v) in environment { e[k] = v }
        var spawn = Spawn("/usr/bin/setsid", ["-w", "-c", path] + arguments, environment: Spawn.environment(e))
        spawn.stdin = .descriptor(slave)
        spawn.stdout = .descriptor(slave)
        spawn.stderr = .descriptor(slave)
        spawn.defaultSignals = true
        let process: TerminalProgram
        switch spawn.start() {
        case .success(let pid): process = TerminalProgram(pid: pid)
        case .failure(let error): close(slave); throw Failure(description: "cannot start \(path): \(error)")
        }

        var transcript: [UInt8] = []
        var pending = answers[...]
        var searchFrom = 0
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        var exitedAt: Date?
        while true {
            guard Date() < deadline else {
                let state = process.signalState()
                process.kill()
                close(slave)
                throw Failure(description: "timed out after \(timeout)s (the program, still running: \(state)); terminal so far:\n\(String(decoding: transcript, as: UTF8.self))")
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
            if !process.isRunning() {
                // Drain what the program printed last, then stop when the terminal goes quiet.
                if exitedAt == nil { exitedAt = Date() }
                var quiet = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                if poll(&quiet, 1, 0) <= 0 || Date().timeIntervalSince(exitedAt!) > 2 { break }
            }
        }
        let status = process.exitStatus()
        defer { close(slave) }
        try afterExit?("/dev/pts/\(number)")
        let text = String(decoding: transcript, as: UTF8.self)
        if let unanswered = pending.first {
            throw Failure(description: "the program exited (status \(status)) before asking '\(unanswered.prompt)':\n\(text)")
        }
        return Result(status: status, transcript: text)
    }

    private static func echoIsOff(_ fd: Int32) -> Bool {
        var attributes = termios()
        guard tcgetattr(fd, &attributes) == 0 else { return false }
        return attributes.c_lflag & tcflag_t(ECHO) == 0
    }
}
