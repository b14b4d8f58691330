import KeyrackClient
#if canImport(Glibc)
import Glibc
import KeyrackClient
#endif

/// The terminal a prompt has silenced and how it was, for the signal handler that puts it back:
/// a C handler captures nothing, so the state lives here while a prompt is up.
private var silencedFD: Int32 = -1
private var silencedState = termios()

/// ^C, ^\, a hang-up or a kill at a prompt: echo back on, then die of the signal as before.
private func restoreTerminalAndDie(_ signal: Int32) {
    if silencedFD >= 0 {
        tcsetattr(silencedFD, TCSANOW, &silencedState)
        _ = write(silencedFD, "\n", 1)
    }
    Glibc.signal(signal, SIG_DFL)
    raise(signal)
}

/// Reads secrets (passphrases, PINs, os.secure values) without echo. Secrets never come from argv:
/// they come from the controlling terminal, or from all of stdin when a command says so.
public enum SecretPrompt {
    /// No terminal to ask on and no askpass program: a usage error (exit 2). The remedy names
    /// the command's stdin options in the CLI (AppRefusals+Text); here, in plain words.
    public struct NoTerminal: Error, Equatable, CustomStringConvertible {
        public let what: String
        public init(what: String) { self.what = what }
        public var problem: String { "cannot ask for the \(what): no terminal (/dev/tty) is available" }
        public static let remedy = "pipe it on stdin where the command can read it there, or set KEYRACK_ASKPASS to a program that asks for it"
        public var description: String { "\(problem); \(Self.remedy)" }
    }

    /// Prompts on /dev/tty and reads one line with echo off. The prompt goes to the terminal, not
    /// stdout, so it never mixes with a command's output. Echo is restored on every return and
    /// on the signals that end a prompt (^C, ^\\, hang-up, kill); the bytes exclude the newline.
    /// Without a terminal, or with KEYRACK_ASKPASS_REQUIRE=force, a KEYRACK_ASKPASS program asks.
    /// `saysWhoAsks` (a PIN) puts who asks (Asker) on its own line above the prompt.
    public static func readFromTerminal(prompt: String, what: String, saysWhoAsks: Bool = false) throws -> [UInt8] {
        if Askpass.forced, let program = Askpass.program { return try Askpass.ask(program, prompt: prompt, what: what) }
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard fd >= 0 else {
            if let program = Askpass.program { return try Askpass.ask(program, prompt: prompt, what: what) }
            throw NoTerminal(what: what)
        }
        defer { close(fd) }
        // A PIN is asked for on behalf of someone: say who, on its own line above the prompt
        // (the prompt itself stays as age-plugin-yubikey words it; askpass programs get that).
        let asker = saysWhoAsks ? "keyrack: a PIN is \(Asker.phrase)\n" : ""
        // And through KEYRACK_NOTIFY, when it names a command, in the touch prompt's shape:
        // "Enter PIN for YubiKey with serial N (3 tries left): requested by … via keyrack unlock".
        if saysWhoAsks {
            var said = prompt.trimmingCharacters(in: .whitespaces)
            if said.hasSuffix(":") { said.removeLast() }
            DesktopNotification.prompt("\(said): \(Asker.phrase)")
        }
        _ = (asker + prompt).withCString { write(fd, $0, strlen($0)) }

        var saved = termios()
        let isTTY = tcgetattr(fd, &saved) == 0
        var previous: [(Int32, __sighandler_t?)] = []
        if isTTY {
            silencedState = saved
            silencedFD = fd
            for s in [SIGINT, SIGQUIT, SIGHUP, SIGTERM] {
                let before = signal(s, restoreTerminalAndDie)
                // A signal the caller ignores (nohup, exec --mask) stays ignored.
                if let before, unsafeBitCast(before, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { signal(s, before) }
                previous.append((s, before))
            }
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO | ECHONL)
            quiet.c_lflag |= tcflag_t(ICANON)
            tcsetattr(fd, TCSAFLUSH, &quiet)
        }
        defer {
            if isTTY {
                // Echo back on, then the caller's handlers, and only then the globals: a handler
                // of ours never runs while they are written (a Swift access it would overlap
                // traps as a "simultaneous access" instead of dying of the signal).
                tcsetattr(fd, TCSAFLUSH, &saved)
                for (s, handler) in previous { signal(s, handler) }
                silencedFD = -1
            }
            _ = "\n".withCString { write(fd, $0, 1) }
        }

        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1 {
            if byte == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return line
    }

    /// Reads all of stdin (for `--*-stdin` options and piped values). A single trailing newline
    /// is dropped, as `echo secret | keyrack …` adds one the user did not mean (a template for
    /// `inject` keeps it: it is text, not a secret).
    public static func readAllOfStdin(keepingNewline: Bool = false) -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(STDIN_FILENO, &buffer, buffer.count)
            if n <= 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        if !keepingNewline, data.last == UInt8(ascii: "\n") { data.removeLast() }
        return data
    }
}
