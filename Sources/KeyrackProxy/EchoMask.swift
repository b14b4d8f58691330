import SecretBytes

/// Puts placeholders back in the server's answer: a server that echoes a request back (a debug
/// endpoint, an error page quoting the Authorization header) would otherwise hand the program
/// the value the proxy put in. Values and placeholders have the same length, so Content-Length
/// still holds. Works across body parts by holding back the last bytes that could start a value.
/// (The proxy asks servers for uncompressed answers, so the bytes it scans are the bytes sent.)
struct EchoMask {
    private var pairs: [(value: [UInt8], placeholder: [UInt8])]
    private var held: [UInt8] = []
    private let keep: Int

    init(pairs: [(value: [UInt8], placeholder: [UInt8])]) {
        self.pairs = pairs.filter { !$0.value.isEmpty }
        keep = max(0, (self.pairs.map(\.value.count).max() ?? 0) - 1)
    }

    /// The bytes of `part` (after what was held) that can go on, values replaced.
    mutating func feed(_ part: [UInt8]) -> [UInt8] {
        guard !pairs.isEmpty else { return part }
        var data = held + part
        zeroize(&held)
        data = replaced(data)
        let cut = max(0, data.count - keep)
        held = Array(data[cut...])
        let out = Array(data[..<cut])
        zeroize(&data)
        return out
    }

    /// What was held back, at the end of the answer.
    mutating func finish() -> [UInt8] {
        let out = replaced(held)
        zeroize(&held)
        return out
    }

    /// A whole header value at once.
    func masked(_ text: String) -> String {
        guard !pairs.isEmpty else { return text }
        return String(decoding: replaced(Array(text.utf8)), as: UTF8.self)
    }

    mutating func wipe() {
        zeroize(&held)
        for i in pairs.indices { zeroize(&pairs[i].value) }
        pairs = []
    }

    private func replaced(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count)
        var i = 0
        outer: while i < data.count {
            for p in pairs where data[i] == p.value[0] && data.count - i >= p.value.count && data[i..<(i + p.value.count)].elementsEqual(p.value) {
                out += p.placeholder
                i += p.value.count
                continue outer
            }
            out.append(data[i])
            i += 1
        }
        return out
    }
}
