#if canImport(Glibc)
import Glibc
#endif

/// Writing to stdout without Foundation, bytes as they are.
public enum Output {
    public static func write(_ bytes: [UInt8]) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(1, $0.baseAddress! + done, bytes.count - done) }
            if n > 0 { done += n } else if errno != EINTR { return }
        }
    }

    public static func line(_ text: String) { write(Array((text + "\n").utf8)) }
}
