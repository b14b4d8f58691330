#if canImport(Glibc)
import Glibc
#endif

// Small text formats the daemon commands print (shell quoting, times), without Foundation:
// this is on the path of `keyrack get`. JSON is JSONLine's (one encoder, one escaper).

public enum TextFormat {
    /// `s` safe to echo on a terminal: control characters (ESC, CR, BEL, …) and DEL become
    /// `\u{1b}`-style escapes, so input echoed in an error can never move the cursor or recolour.
    public static func printable(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            if u.value < 0x20 || (u.value >= 0x7f && u.value < 0xa0) {
                out += "\\u{" + String(u.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// POSIX shell single quoting: every byte but NUL stands for itself inside '…', and a quote
    /// is closed, escaped and reopened. Values with NUL cannot be in an environment at all.
    public static func shellQuoted(_ value: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x27]
        for b in value {
            if b == 0x27 { out += [0x27, 0x5c, 0x27, 0x27] } else { out.append(b) }
        }
        out.append(0x27)
        return out
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`: the names a shell and execve'd programs accept as variables.
    public static func isShellIdentifier(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first else { return false }
        func alpha(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x5f }
        return alpha(first) && bytes.allSatisfy { alpha($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    /// ISO 8601 UTC (`2026-01-15T10:00:00Z`) from Unix milliseconds.
    public static func isoTime(milliseconds: UInt64) -> String {
        var t = time_t(milliseconds / 1000)
        var tm = tm()
        gmtime_r(&t, &tm)
        func pad(_ n: Int32, _ w: Int = 2) -> String { let s = String(n); return String(repeating: "0", count: max(0, w - s.count)) + s }
        return "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1))-\(pad(tm.tm_mday))T\(pad(tm.tm_hour)):\(pad(tm.tm_min)):\(pad(tm.tm_sec))Z"
    }

    /// `1h05m`, `12m`, `40s`: how long a grant has left, for humans.
    public static func remaining(milliseconds: UInt64) -> String {
        let s = milliseconds / 1000
        if s >= 3600 { let m = (s % 3600) / 60; return "\(s / 3600)h" + (m < 10 ? "0" : "") + "\(m)m" }
        if s >= 60 { return "\(s / 60)m" }
        return "\(s)s"
    }
}
