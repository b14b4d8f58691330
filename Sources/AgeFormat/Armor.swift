/// ASCII armor: strict PEM (RFC 7468 §3) with the label `AGE ENCRYPTED FILE`.
///
/// Armor is malleable unless every degree of freedom is closed: so lines are exactly 64 columns
/// (the last one shorter, or full and followed directly by the footer), base64 is canonical and
/// padded, and nothing but a little whitespace may surround the block. Both directions stream.
public enum Armor {
    public static let header = "-----BEGIN AGE ENCRYPTED FILE-----"
    public static let footer = "-----END AGE ENCRYPTED FILE-----"
    static let columns = 64
    static let bytesPerLine = columns / 4 * 3
    /// Whitespace allowed around the block, as in the reference implementation.
    static let maxWhitespace = 1024

    static func isWhitespace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0B || b == 0x0C
    }

    /// True when `prefix` (the first bytes of an input) starts, after optional whitespace, like
    /// a PEM block: the decryptor then reads it through `ArmorReader`, which rejects wrong labels.
    static func looksArmored(_ prefix: ArraySlice<UInt8>) -> Bool {
        let start = prefix.firstIndex(where: { !isWhitespace($0) }) ?? prefix.endIndex
        return prefix[start...].starts(with: "-----BEGIN".utf8)
    }
}

/// Encodes everything written to it as armor into `sink`. Call `finish()` to write the footer.
final class ArmorWriter: ByteSink {
    private let sink: ByteSink
    private var pending: [UInt8] = []
    private var out: [UInt8] = []
    private var finished = false

    init(sink: ByteSink) throws {
        self.sink = sink
        pending.reserveCapacity(Armor.bytesPerLine)
        out.reserveCapacity(96 * 1024)
        try sink.write(Array((Armor.header + "\n").utf8))
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var rest = bytes[...]
        if !pending.isEmpty {
            let n = min(Armor.bytesPerLine - pending.count, rest.count)
            pending += rest.prefix(n)
            rest = rest.dropFirst(n)
            if pending.count == Armor.bytesPerLine {
                appendLine(pending[...])
                pending.removeAll(keepingCapacity: true)
            }
        }
        while rest.count >= Armor.bytesPerLine {
            appendLine(rest.prefix(Armor.bytesPerLine))
            rest = rest.dropFirst(Armor.bytesPerLine)
            if out.count >= 64 * 1024 { try flush() }
        }
        pending += rest
        if out.count >= 64 * 1024 { try flush() }
    }

    private func appendLine<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        out += AgeBase64.encode(bytes, padded: true)
        out.append(0x0A)
    }

    private func flush() throws {
        try sink.write(out)
        out.removeAll(keepingCapacity: true)
    }

    func finish() throws {
        guard !finished else { return }
        finished = true
        if !pending.isEmpty { appendLine(pending) }
        out += Array((Armor.footer + "\n").utf8)
        try flush()
    }
}

/// Decodes armor read from `source`, line by line, enforcing the strict rules above. Errors are
/// `.malformedArmor`; an input that is not armor at all is the caller's business.
///
/// A line decodes straight into the caller's buffer when 48 bytes fit there (the payload
/// reader asks for a batch at a time), else into a small buffer of the reader's own, served
/// from there: nothing is allocated per line (a 10 000-key manifest is 80 000 lines). Where
/// whole lines fit, runs of plain full lines are decoded in one pass over the source's buffer
/// (`fullLines`), with no per-line search for the LF; every other line goes through `nextLine`.
final class ArmorReader: ByteSource {
    private let source: PeekableSource
    private var started = false
    private var done = false
    /// One decoded line that did not fit where it was asked for, `offset` of it served.
    private let spill = UnsafeMutablePointer<UInt8>.allocate(capacity: Armor.bytesPerLine)
    private var spilled = 0
    private var offset = 0

    private static let headerBytes = Array(Armor.header.utf8)
    private static let footerBytes = Array(Armor.footer.utf8)

    init(source: PeekableSource) { self.source = source }

    deinit { spill.deallocate() }

    /// One line without LF and without one trailing CR (CRLF files are accepted).
    private func line() throws -> ArraySlice<UInt8> {
        guard var line = try source.readLine(limit: Armor.columns + 2, allowUnterminated: true) else {
            if try source.peek(1).isEmpty { throw AgeError.malformedArmor("the armor ends without the END line") }
            throw AgeError.malformedArmor("an armor line is longer than \(Armor.columns) characters")
        }
        if line.last == 0x0D { line = line.dropLast() }
        return line
    }

    /// Whether `line` is the END line: the length first, so a line of base64 costs one compare.
    private static func isFooter(_ line: ArraySlice<UInt8>) -> Bool {
        line.count == footerBytes.count && line.elementsEqual(footerBytes)
    }

    private func start() throws {
        // Skip a little leading whitespace, as the reference does.
        var skipped = 0
        while let b = try source.peek(1).first, Armor.isWhitespace(b) {
            skipped += 1
            guard skipped <= Armor.maxWhitespace else { throw AgeError.malformedArmor("too much whitespace before the armor") }
            source.skip(1)
        }
        guard try line().elementsEqual(Self.headerBytes) else {
            throw AgeError.malformedArmor("the first line is not '\(Armor.header)'")
        }
        started = true
    }

    private func drainTrailing() throws {
        let rest = try source.peek(Armor.maxWhitespace + 1)
        guard rest.allSatisfy(Armor.isWhitespace) else { throw AgeError.malformedArmor("data after the END line") }
        guard rest.count <= Armor.maxWhitespace else { throw AgeError.malformedArmor("too much whitespace after the END line") }
        done = true
    }

    /// Decodes the next line into `target` (room for a whole line's 48 bytes) and returns how
    /// many bytes it held: 0 at the END line, after which the reader is done.
    private func nextLine(into target: UnsafeMutablePointer<UInt8>) throws -> Int {
        let text = try line()
        if Self.isFooter(text) { try drainTrailing(); return 0 }
        guard text.count <= Armor.columns else { throw AgeError.malformedArmor("an armor line is longer than \(Armor.columns) characters") }
        guard !text.isEmpty else { throw AgeError.malformedArmor("empty line inside the armor") }
        let decoded = text.withUnsafeBufferPointer { AgeBase64.decodePadded($0.baseAddress!, count: $0.count, into: target) }
        guard let count = decoded else {
            throw AgeError.malformedArmor("an armor line is not canonical padded base64")
        }
        if count < Armor.bytesPerLine {
            guard try Self.isFooter(line()) else {
                throw AgeError.malformedArmor("a short armor line is not followed by the END line")
            }
            try drainTrailing()
        }
        return count
    }

    /// Decodes plain full lines (64 characters of the alphabet, then LF) straight from the
    /// source's buffer into `target`, as many as are buffered (a line's worth is read if not
    /// even that is) and fit in `room`; returns the bytes written, 0 when the next line is not
    /// one. Anything else, the END line included, is left for `nextLine`, which judges it
    /// exactly as it judges every line: a full line of the alphabet decodes to 48 bytes and
    /// needs nothing more, so taking it here changes nothing.
    private func fullLines(into target: UnsafeMutablePointer<UInt8>, room: Int) throws -> Int {
        let lines = try source.withBuffered(atLeast: Armor.columns + 1) { bytes -> Int in
            guard let base = bytes.baseAddress else { return 0 }
            return AgeBase64.decodeFullLines(base, lines: min(room / Armor.bytesPerLine, bytes.count / (Armor.columns + 1)), into: target)
        }
        source.skip(lines * (Armor.columns + 1))
        return lines * Armor.bytesPerLine
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if !started { try start() }
        var written = 0
        while written < buffer.count {
            if offset < spilled {
                let n = min(buffer.count - written, spilled - offset)
                (buffer.baseAddress! + written).copyMemory(from: spill + offset, byteCount: n)
                offset += n
                written += n
                continue
            }
            if done { break }
            let room = buffer.count - written
            if room >= Armor.bytesPerLine {
                let target = (buffer.baseAddress! + written).bindMemory(to: UInt8.self, capacity: room)
                let full = try fullLines(into: target, room: room)
                if full > 0 { written += full; continue }
                written += try nextLine(into: target)
            } else {
                spilled = try nextLine(into: spill)
                offset = 0
            }
        }
        return written
    }
}
