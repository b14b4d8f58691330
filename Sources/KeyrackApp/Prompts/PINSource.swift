import KeyrackClient
import KeyrackCore
import KeyrackDaemon
#if canImport(Glibc)
import Glibc
#endif
import SecretBytes

/// Where `unlock` takes a YubiKey PIN from when no one is at a terminal: a robot whose slot has
/// PIN policy `once` (so a plugged-in card is useless to other local users, see
/// docs/security-model.md) gives it on stdin or in a file only its own Unix user can read.
/// Only PIN requests are answered from it; an ssh passphrase still comes from the terminal.
public enum PINSource {
    /// The first line of stdin.
    public static func fromStdin() -> [UInt8] {
        var all = SecretPrompt.readAllOfStdin()
        defer { zeroize(&all) }
        return firstLine(all)
    }

    /// The first line of `path`, which must be a regular file owned by the caller with no
    /// group or other access (0600 or stricter), and no symlink: else a usage error naming the fix.
    public static func fromFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else {
            throw UsageError("cannot read the PIN file \(path): \(String(cString: strerror(errno)))\(errno == ELOOP ? " (a symlink: name the file itself)" : "")")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw UsageError("the PIN file \(path) is not a regular file")
        }
        if let problem = PrivateFile.problem(path: path, what: "PIN file", owner: st.st_uid, mode: st.st_mode) { throw UsageError(problem) }
        var buffer = [UInt8](repeating: 0, count: 256)
        defer { zeroize(&buffer) }
        let n = Glibc.read(fd, &buffer, buffer.count)
        guard n > 0 else { throw UsageError("the PIN file \(path) is empty") }
        return firstLine(Array(buffer.prefix(n)))
    }

    /// The PIN `input` gives, read now; nil for `.terminal` (asked when a card wants it).
    public static func read(_ input: PINInput) throws -> [UInt8]? {
        switch input {
        case .terminal: return nil
        case .stdin: return fromStdin()
        case .file(let path): return try fromFile(path)
        }
    }

    /// `base` with its PIN prompts answered from `input`, read at the first PIN asked (so a
    /// manifest that needs no PIN reads nothing) and kept for the next: the manifest's card, an
    /// OpenBao cert login and a card-signed JWT take the same PIN. `.terminal` is `base` itself.
    public static func terminal(_ input: PINInput, base: any UserTerminal = LiveTerminal()) -> any UserTerminal {
        input == .terminal ? base : PINAnsweringTerminal(base: base) { try read(input) ?? [] }
    }

    /// Lines of piped secrets: split on newlines, a CR before one dropped (`printf 'pin\r\n'`).
    public static func lines(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            var l = Array(line)
            if l.last == UInt8(ascii: "\r") { l.removeLast() }
            return l
        }
    }

    private static func firstLine(_ bytes: [UInt8]) -> [UInt8] {
        lines(bytes).first ?? []
    }
}
