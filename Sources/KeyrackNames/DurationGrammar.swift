// The one grammar of the durations users type (`--duration`, `maxDuration:`, `--idle-timeout`):
// whole numbers of days, hours, minutes and seconds, largest unit first, each unit at most once,
// written together as people write them: `90s`, `30m`, `9h`, `1d`, `1h30m`, `2d12h`. Foundation-free
// so the daemon and the fast path can share it with the core; callers apply their own bounds.

public enum DurationGrammar {
    /// The number of seconds `text` means, or nil when it is not of the grammar. `0` alone (and
    /// `0s`) parse to 0: whether zero is allowed is the caller's rule.
    public static func seconds<S: StringProtocol>(_ text: S) -> Int? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 24 else { return nil }
        if bytes == [UInt8(ascii: "0")] { return 0 }
        let units: [(UInt8, Int)] = [(UInt8(ascii: "d"), 86_400), (UInt8(ascii: "h"), 3600),
                                     (UInt8(ascii: "m"), 60), (UInt8(ascii: "s"), 1)]
        var total = 0
        var next = 0          // index into units: each part must use a smaller unit than the last
        var i = 0
        while i < bytes.count {
            var n = 0
            let start = i
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                n = n * 10 + Int(bytes[i] - 0x30)
                guard n <= 1_000_000 else { return nil }
                i += 1
            }
            // A part is digits then a unit; no leading zero except a lone `0` (as in `1h0m`).
            guard i > start, i < bytes.count, bytes[start] != 0x30 || i - start == 1 else { return nil }
            guard let u = units[next...].firstIndex(where: { $0.0 == bytes[i] }) else { return nil }
            total += n * units[u].1
            next = u + 1
            i += 1
        }
        return total
    }

    /// What to tell a user who typed something else.
    public static let hint = "use whole numbers of d, h, m and s, largest first, e.g. 90s, 30m, 9h, 1h30m, 1d"
}
