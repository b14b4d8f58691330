/// The one JSON string escaper of keyrack: the audit log's records and every `--json` answer
/// (KeyrackClient's JSONLine) quote strings here, so both escape the same characters.
///
/// RFC 8259 escapes, plus control bytes and DEL as `\u00XX` (a line is always one line) and
/// U+2028/U+2029 as `\u2028`/`\u2029` (JavaScript readers of a line would split there).
/// Non-ASCII otherwise passes through as UTF-8. Foundation-free: the daemon and `keyrack get` use it.
public enum JSONString {
    /// `s` as a JSON string literal, appended to `out`.
    public static func quote(_ s: String, into out: inout String) {
        // Names (slugs, events, paths) are nearly always plain printable ASCII: one scan, one
        // append. This is the audit log's hot path (one record per GET).
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f && $0 != 0x22 && $0 != 0x5c }) {
            out += "\""
            out += s
            out += "\""
            return
        }
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// `s` as a JSON string literal.
    public static func quoted(_ s: String) -> String {
        var out = ""
        quote(s, into: &out)
        return out
    }
}
