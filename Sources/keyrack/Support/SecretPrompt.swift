#if canImport(Glibc)
import Glibc
#endif

/// Reads secrets (passphrases, PINs, os.secure values) without echo. Secrets never come from argv:
/// they come from the controlling terminal, or from all of stdin when a command says so.
enum SecretPrompt {
    struct NoTerminal: CLIReportable {
        let what: String
        var cliMessage: String { "error: cannot ask for the \(what): no terminal (/dev/tty) is available; pipe it on stdin where the command offers a --*-stdin option" }
        var exitCode: Int32 { ExitStatus.usage }
    }

    /// Prompts on /dev/tty and reads one line with echo off. The prompt goes to the terminal, not
    /// stdout, so it never mixes with a command's output. Echo is restored even on SIGINT-free
    /// early returns; the returned bytes exclude the newline.
    static func readFromTerminal(prompt: String, what: String) throws -> [UInt8] {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard fd >= 0 else { throw NoTerminal(what: what) }
        defer { close(fd) }
        _ = prompt.withCString { write(fd, $0, strlen($0)) }

        var saved = termios()
        let isTTY = tcgetattr(fd, &saved) == 0
        if isTTY {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO | ECHONL)
            quiet.c_lflag |= tcflag_t(ICANON)
            tcsetattr(fd, TCSAFLUSH, &quiet)
        }
        defer {
            if isTTY { tcsetattr(fd, TCSAFLUSH, &saved) }
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
    /// is dropped, as `echo secret | keyrack …` adds one the user did not mean.
    static func readAllOfStdin() -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(STDIN_FILENO, &buffer, buffer.count)
            if n <= 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        if data.last == UInt8(ascii: "\n") { data.removeLast() }
        return data
    }
}
