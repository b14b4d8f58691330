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
/// Only the PIN prompt is answered from it; an ssh passphrase still comes from the terminal.
enum PINSource {
    /// The first line of stdin.
    static func fromStdin() -> [UInt8] {
        var all = SecretPrompt.readAllOfStdin()
        defer { zeroize(&all) }
        return firstLine(all)
    }

    /// The first line of `path`, which must be a regular file owned by the caller with no
    /// group or other access (0600 or stricter), and no symlink: else a usage error naming the fix.
    static func fromFile(_ path: String) throws -> [UInt8] {
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
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { throw UsageError("the PIN file \(path) is empty") }
        return firstLine(Array(buffer.prefix(n)))
    }

    private static func firstLine(_ bytes: [UInt8]) -> [UInt8] {
        var line = Array(bytes.prefix { $0 != UInt8(ascii: "\n") })
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return line
    }

    /// The terminal interaction, with the YubiKey PIN prompt answered by `pin`.
    static func interaction(pin: [UInt8]) -> Interaction {
        let terminal = ManifestCLI.interaction
        return Interaction(secret: { prompt in
            prompt.contains("PIN") ? pin : try terminal.secret(prompt)
        }, notice: terminal.notice)
    }
}
