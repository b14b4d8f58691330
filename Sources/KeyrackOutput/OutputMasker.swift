import SecretBytes

/// Replaces every occurrence of any secret in a byte stream with `<concealed by keyrack>`, as
/// `op run` does, however the stream is cut into reads: bytes that could be the start of a
/// secret are held back until the next read (or the end) decides. Nothing else is delayed, so
/// a program's prompts and progress lines still appear as they are written.
///
/// Best-effort, and said so in `exec --help`: it conceals the bytes of a value and each line of
/// a multi-line one (a program that prints one line of a PEM key, or re-indents it, still shows
/// no line of it), but not a value transformed (base64, reversed, case-changed, split
/// differently) nor one written to /dev/tty or a file. The real answer is not to hand the
/// program the value at all (issue 27's keycard proxy, `exec --proxy`).
public struct OutputMasker {
    public static let replacement = Array("<concealed by keyrack>".utf8)

    private var secrets: [[UInt8]]
    private var pending: [UInt8] = []

    /// A line of a multi-line value shorter than this is not concealed on its own: a line `}`
    /// or `--` would otherwise blank every brace or dash the program prints.
    public static let shortestLine = 4

    /// Each value whole and each line of a multi-line one; longest first, so a secret that
    /// contains another (a value its own lines) is concealed whole.
    public init(secrets: [[UInt8]]) {
        var unique: [[UInt8]] = []
        func add(_ s: [UInt8]) { if !s.isEmpty && !unique.contains(s) { unique.append(s) } }
        for s in secrets {
            add(s)
            guard s.contains(where: { $0 == 0x0a || $0 == 0x0d }) else { continue }
            for line in s.split(whereSeparator: { $0 == 0x0a || $0 == 0x0d }) where line.count >= Self.shortestLine { add(Array(line)) }
        }
        self.secrets = unique.sorted { $0.count > $1.count }
    }

    /// The masked bytes that can be written now.
    public mutating func feed(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        pending += bytes
        return drain(final: false)
    }

    /// The rest, at the end of the stream.
    public mutating func finish() -> [UInt8] { drain(final: true) }

    public mutating func wipe() {
        SecretBytes.zeroize(&pending)
        for i in secrets.indices { SecretBytes.zeroize(&secrets[i]) }
    }

    private mutating func drain(final: Bool) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        scan: while i < pending.count {
            // What is left could still grow into a secret (perhaps a longer one than matches
            // here already): wait for the next read to decide, unless there is none.
            if !final && secrets.contains(where: { isPrefix(of: $0, at: i) }) { break }
            for s in secrets where matches(s, at: i) {
                out += Self.replacement
                i += s.count
                continue scan
            }
            out.append(pending[i])
            i += 1
        }
        clear(upTo: i)
        pending.removeFirst(i)
        return out
    }

    private func matches(_ s: [UInt8], at i: Int) -> Bool {
        guard pending.count - i >= s.count else { return false }
        for k in 0..<s.count where pending[i + k] != s[k] { return false }
        return true
    }

    /// Whether pending[i...] (shorter than `s`) is where `s` begins.
    private func isPrefix(of s: [UInt8], at i: Int) -> Bool {
        let n = pending.count - i
        guard n < s.count else { return false }
        for k in 0..<n where pending[i + k] != s[k] { return false }
        return true
    }

    /// Wipes what was consumed (concealed secrets among it) before it is dropped.
    private mutating func clear(upTo n: Int) {
        for k in 0..<n { pending[k] = 0 }
    }
}
