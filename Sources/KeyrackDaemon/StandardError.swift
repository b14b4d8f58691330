import Glibc

/// Writes to file descriptor 2 directly. C's `stderr` is a global `FILE *` variable, which Swift 6
/// refuses to touch from concurrent code; stderr is unbuffered anyway, so `write(2)` loses
/// nothing, and one call per line keeps concurrent lines from interleaving. The daemon's log and
/// KeyrackClient's error reports go through it.
public enum StandardError {
    public static func write(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
            if n > 0 { bytes = bytes.dropFirst(n); continue }
            if n < 0 && errno == EINTR { continue }
            return   // a closed or full stderr: nowhere left to say anything
        }
    }
}
