#if canImport(Glibc)
import Glibc
#endif

/// The events of a document written in the narrow subset of YAML that keyrack's own emitter
/// writes for a host manifest (YAMLEmitter: block mappings indented by 2, one `key: value` per
/// line, lists as `- ` entries where their key starts, plain word scalars, double-quoted scalars
/// without escapes, `!!binary` base64, `[]` and `{}`), read straight from the bytes: libyaml's scanner, parser and event allocations cost
/// more than decrypting the manifest (issue 32).
///
/// It is a fast path, never a second reading of YAML: at the first byte outside the subset it
/// declines (`next()` answers false) and the caller reads the whole document again with libyaml,
/// so every refusal, its text and its line stay libyaml's. On what it accepts it yields exactly
/// the events libyaml yields (kind, scalar bytes, plain or quoted, tag), one by one or, for a
/// `key: value` line, two at once (`pair()`), proved by ManifestSubsetPathTests,
/// YAMLSubsetScannerTests and the fuzz-manifest-subset target. Anything that libyaml might read
/// differently or refuse is outside the subset: tabs, CR, NUL and every other control byte,
/// comments, blank lines, trailing blanks, lists indented otherwise, flow collections other than an empty
/// `[]`/`{}`, anchors, aliases and tags other than `!!binary`, escapes, multi-line scalars, a
/// document without a final newline, `---`/`...`, a BOM, keys longer than libyaml's simple-key
/// limit, non-UTF-8 and the characters libyaml treats as line breaks or refuses (C1 controls,
/// U+2028, U+2029, U+FEFF, U+FFFE, U+FFFF).
struct YAMLSubsetScanner {
    /// The current event, as `YAMLReader` exposes it.
    private(set) var kind: YAMLReader.Kind = .streamStart
    private(set) var eventLine = 1
    /// The current scalar: where its bytes are in the input, quoted or not, `!!binary` or not.
    private(set) var start = 0
    private(set) var count = 0
    private(set) var plain = true
    private(set) var binary = false
    /// The key of the line `pair()` read last (its value is the current scalar).
    private(set) var pairKeyStart = 0
    private(set) var pairKeyCount = 0
    private(set) var pairKeyPlain = true

    let base: UnsafePointer<UInt8>
    let end: Int
    /// `YAMLSubsetScanner.classes`, loaded once (a static is a lazy global, checked at every use).
    private let classes: UnsafePointer<UInt8>
    private var pos = 0
    /// The line `pos` is on.
    private var line = 1
    /// The open block collections as a stack of trivial values, innermost in the low bits: a
    /// mapping's keys, or an (indentless) list's `- `, all start at its indent (a byte of
    /// `indents`, at most 2 × `maxDepth`); its bit in `lists` says it is a list. An array here
    /// was a retain, a release and a uniqueness check per event.
    private var depth = 0
    private var indents: UInt64 = 0
    private var lists: UInt64 = 0

    private enum Phase { case streamStart, documentStart, root, lineStart, key, afterKey, closeFlow, streamEnd, done }
    private var phase = Phase.streamStart
    /// The end of the empty flow collection just opened.
    private var flowEnd = YAMLReader.Kind.sequenceEnd

    /// Deeper than keyrack's manifests ever go (4), well short of `YAMLParser.maxDepth`.
    static let maxDepth = 8
    /// libyaml finds a key's `:` only within 1024 characters of its start.
    static let maxKey = 512

    init(_ input: UnsafeBufferPointer<UInt8>) {
        base = input.baseAddress!
        end = input.count
        classes = YAMLSubsetScanner.classes
    }

    /// A scanner of no input, never run: the one of a reader on libyaml's path.
    init() {
        classes = YAMLSubsetScanner.classes
        base = classes
        end = 0
    }

    /// Moves to the next event; false when the input leaves the subset here (the caller then
    /// reads the whole document with libyaml).
    mutating func next() -> Bool {
        switch phase {
        case .lineStart:
            return lineStart()
        case .afterKey:
            return value()
        case .key:
            return key()
        case .streamStart:
            kind = .streamStart
            phase = .documentStart
            return true
        case .documentStart:
            // The root is a block mapping whose first key starts the document, and the document
            // ends with a line break (as every line in the subset does): every scan below stops
            // at a byte that is not its own by then, without a bounds check per byte.
            guard end > 0, base[end - 1] == newline, classes[Int(base[0])] & YAMLSubsetScanner.keyStart != 0 || base[0] == quote else { return false }
            // What keyrack writes leaves the subset only where libyaml wrote an escape (a value
            // with a line break, a quote, a tab, a character outside the BMP): one look for a
            // backslash sends such a manifest to libyaml before anything is read twice.
            guard memchr(base, Int32(backslash), end) == nil else { return false }
            kind = .documentStart
            phase = .root
            return true
        case .root:
            return push(indent: 0, isList: false)
        case .closeFlow:
            kind = flowEnd
            phase = .lineStart
            return true
        case .streamEnd:
            kind = .streamEnd
            phase = .done
            return true
        case .done:
            return false
        }
    }

    /// The innermost open collection's indent, and whether it is a list.
    private var topIndent: Int { Int(truncatingIfNeeded: indents & 0xff) }
    private var topIsList: Bool { lists & 1 != 0 }

    /// Opens a block mapping or list whose entries start at `indent`.
    private mutating func push(indent: Int, isList: Bool, then next: Phase = .lineStart) -> Bool {
        guard depth < YAMLSubsetScanner.maxDepth else { return false }
        depth += 1
        indents = indents << 8 | UInt64(indent)
        lists = lists << 1 | (isList ? 1 : 0)
        kind = isList ? .sequenceStart : .mappingStart
        eventLine = line
        phase = next
        return true
    }

    /// Closes the innermost block collection.
    private mutating func pop() -> Bool {
        kind = topIsList ? .sequenceEnd : .mappingEnd
        depth -= 1
        indents >>= 8
        lists >>= 1
        return true
    }

    /// At the start of a line: a key of the innermost mapping, an entry of the innermost list,
    /// or the end of one or more of them.
    private mutating func lineStart() -> Bool {
        eventLine = line
        if pos == end {
            if depth > 0 { return pop() }
            kind = .documentEnd
            phase = .streamEnd
            return true
        }
        // Stops at the final line break at the latest.
        var i = pos
        while base[i] == space { i += 1 }
        let indent = i - pos, top = topIndent
        if topIsList {
            if indent == top, base[i] == dash, i + 1 < end, base[i + 1] == space {
                pos = i + 2
                return entry()
            }
            // Less indented, or a key of the mapping the (indentless) list is the value of.
            guard indent <= top else { return false }
            return pop()
        }
        if indent < top { return pop() }
        guard indent == top else { return false }
        pos = i
        return key()
    }

    /// After a list's `- `: a scalar, or the first key of a mapping.
    private mutating func entry() -> Bool {
        let at = pos
        guard pos < end else { return false }
        if classes[Int(base[pos])] & YAMLSubsetScanner.valueStart != 0 {
            plainWord()
        } else {
            guard base[pos] == quote, quoted() else { return false }
        }
        // `pos` is short of the final line break: a scan stops there, a closing quote before it.
        if base[pos] == colon {
            // `- key: …`: a mapping whose keys start two columns in, its first key read next.
            pos = at
            return push(indent: topIndent + 2, isList: false, then: .key)
        }
        guard base[pos] == newline else { return false }
        pos += 1
        line += 1
        binary = false
        kind = .scalar
        phase = .lineStart
        return true
    }

    /// A key, then its `:`.
    private mutating func key() -> Bool {
        eventLine = line
        guard pos < end else { return false }
        let at = pos
        if classes[Int(base[pos])] & YAMLSubsetScanner.keyStart != 0 {
            plainWord()
        } else {
            guard base[pos] == quote, quoted() else { return false }
        }
        guard pos - at <= YAMLSubsetScanner.maxKey, base[pos] == colon else { return false }
        pos += 1
        binary = false
        kind = .scalar
        phase = .afterKey
        return true
    }

    /// After `key:`: ` value` on the same line, or a line break and a nested mapping (indented
    /// by two more) or list (`- ` where the key starts, as libyaml writes it).
    private mutating func value() -> Bool {
        // After a key's `:`, which is not the final line break.
        eventLine = line
        let first = base[pos]
        if first == newline {
            var i = pos + 1
            while i < end, base[i] == space { i += 1 }
            let indent = i - (pos + 1), keyIndent = topIndent
            guard i < end else { return false }
            pos += 1
            line += 1
            if indent == keyIndent + 2, classes[Int(base[i])] & YAMLSubsetScanner.keyStart != 0 || base[i] == quote {
                return push(indent: indent, isList: false)
            }
            if indent == keyIndent, i + 1 < end, base[i] == dash, base[i + 1] == space {
                return push(indent: indent, isList: true)
            }
            return false
        }
        guard first == space, pos + 1 < end else { return false }
        pos += 1
        binary = false
        let b = base[pos]
        if classes[Int(b)] & YAMLSubsetScanner.valueStart != 0 {
            plainWord()
        } else {
            switch b {
            case quote:
                guard quoted() else { return false }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                guard pos + 2 < end, base[pos + 1] == b + 2, base[pos + 2] == newline, depth < YAMLSubsetScanner.maxDepth else { return false }
                kind = b == UInt8(ascii: "[") ? .sequenceStart : .mappingStart
                flowEnd = b == UInt8(ascii: "[") ? .sequenceEnd : .mappingEnd
                pos += 3
                line += 1
                phase = .closeFlow
                return true
            case UInt8(ascii: "!"):
                guard YAMLSubsetScanner.matches(base, pos, end, YAMLSubsetScanner.binaryTag) else { return false }
                pos += YAMLSubsetScanner.binaryTag.count
                guard pos < end, classes[Int(base[pos])] & YAMLSubsetScanner.valueStart != 0 else { return false }
                plainWord()
                binary = true
            default:
                return false
            }
        }
        guard base[pos] == newline else { return false }
        pos += 1
        line += 1
        kind = .scalar
        phase = .lineStart
        return true
    }

    /// At the start of a line of the innermost mapping (`next()` would read its key next): the
    /// whole line when it is one pair of scalars, `key: value`, each plain or double-quoted, no
    /// tag, no collection: read as `next()` reads it in two events (the key's, then the
    /// value's, which is then the current one), with the same checks, and the scanner is past it
    /// as after those two. False, with nothing read, for any other line: `next()` reads it.
    /// A pair a line was most of what a manifest is, and two events for it most of the cost.
    mutating func pair() -> Bool {
        guard phase == .lineStart, pos < end, !topIsList else { return false }
        let base = base, classes = classes
        // Stops at the final line break at the latest, as every scan below.
        var i = pos
        while base[i] == space { i &+= 1 }
        guard i &- pos == topIndent else { return false }
        let keyAt = i, keyPlain = classes[Int(base[i])] & YAMLSubsetScanner.keyStart != 0
        if keyPlain {
            i = wordEnd(i)
        } else {
            guard base[i] == quote, let close = YAMLSubsetScanner.quoteEnd(base, classes, end, i) else { return false }
            i = close &+ 1
        }
        let keyEnd = keyPlain ? i : i &- 1
        // `i` is short of the final line break, and so is a `:` there.
        guard i &- keyAt <= YAMLSubsetScanner.maxKey, base[i] == colon, base[i &+ 1] == space else { return false }
        i &+= 2
        let valueAt = i, valuePlain = classes[Int(base[i])] & YAMLSubsetScanner.valueStart != 0
        if valuePlain {
            i = wordEnd(i)
        } else {
            guard base[i] == quote, let close = YAMLSubsetScanner.quoteEnd(base, classes, end, i) else { return false }
            i = close &+ 1
        }
        guard base[i] == newline else { return false }
        // The line is a pair: now read.
        pairKeyStart = keyPlain ? keyAt : keyAt &+ 1
        pairKeyCount = keyEnd &- pairKeyStart
        pairKeyPlain = keyPlain
        start = valuePlain ? valueAt : valueAt &+ 1
        count = (valuePlain ? i : i &- 1) &- start
        plain = valuePlain
        pos = i &+ 1
        eventLine = line
        line &+= 1
        binary = false
        kind = .scalar
        return true
    }

    /// A plain scalar of word bytes from `pos` (its first byte already checked).
    @inline(__always)
    private mutating func plainWord() {
        let e = wordEnd(pos)
        start = pos
        count = e - pos
        pos = e
        plain = true
    }

    /// A double-quoted scalar on one line without escapes, `pos` at its opening quote; moves
    /// past the closing one. False on anything libyaml would decode or refuse.
    private mutating func quoted() -> Bool {
        guard let close = YAMLSubsetScanner.quoteEnd(base, classes, end, pos) else { return false }
        start = pos + 1
        count = close - start
        plain = false
        pos = close + 1
        return true
    }

    /// The end of the run of word bytes from `from` (its first byte already checked). The final
    /// line break ends every run, so no bounds check per byte; four bytes a turn.
    @inline(__always)
    private func wordEnd(_ from: Int) -> Int {
        // On locals: loaded once, not at every step.
        let base = base, classes = classes, word = YAMLSubsetScanner.word
        var i = from &+ 1
        while true {
            if classes[Int(base[i])] & word == 0 { return i }
            if classes[Int(base[i &+ 1])] & word == 0 { return i &+ 1 }
            if classes[Int(base[i &+ 2])] & word == 0 { return i &+ 2 }
            if classes[Int(base[i &+ 3])] & word == 0 { return i &+ 3 }
            i &+= 4
        }
    }

    /// Where the double-quoted scalar whose opening quote is at `from` closes, when it is on one
    /// line without escapes; nil on anything libyaml would decode or refuse. Static: a method
    /// was passed the whole scanner, copied, as `self`.
    private static func quoteEnd(_ base: UnsafePointer<UInt8>, _ classes: UnsafePointer<UInt8>, _ end: Int, _ from: Int) -> Int? {
        var i = from &+ 1
        while true {
            let b = base[i]
            if classes[Int(b)] & YAMLSubsetScanner.quotedText != 0 {
                i &+= 1
                continue
            }
            if b == quote { return i }
            // A control byte (the final line break among them), a backslash, or not UTF-8 that
            // libyaml reads as text.
            guard b >= 0x80, let n = YAMLSubsetScanner.printableUTF8(base, i, end) else { return nil }
            i &+= n
        }
    }

    // MARK: bytes

    private static let binaryTag: [UInt8] = Array("!!binary ".utf8)

    private static func matches(_ base: UnsafePointer<UInt8>, _ at: Int, _ end: Int, _ literal: [UInt8]) -> Bool {
        guard end - at >= literal.count else { return false }
        for (k, b) in literal.enumerated() where base[at + k] != b { return false }
        return true
    }

    /// The classes of a byte, bits of `classes[b]`.
    /// Letters, digits and `_ . / - @ + =`: never an indicator, a blank or a comment inside a
    /// plain scalar, and the alphabet of base64.
    static let word: UInt8 = 1
    /// A plain key's first byte: a letter, a digit or `_` (no indicator, no `---`, `...`, `-`, `%`).
    static let keyStart: UInt8 = 2
    /// A plain value's first byte: as a key's, or base64's `+` and `/`.
    static let valueStart: UInt8 = 4
    /// Printable ASCII but `"` and `\`: text inside double quotes as it stands.
    static let quotedText: UInt8 = 8

    /// A table of 256 classes, one per byte: a load per byte where a chain of comparisons (and
    /// then two bit masks) was a tenth, then a twentieth, of reading a manifest. Made once, never freed.
    nonisolated(unsafe) static let classes: UnsafePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        for b in 0..<256 {
            let c = UInt8(b)
            let letterOrDigit = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)
            var bits: UInt8 = 0
            if letterOrDigit || "_./-@+=".utf8.contains(c) { bits |= word }
            if letterOrDigit || c == UInt8(ascii: "_") { bits |= keyStart | valueStart }
            if c == UInt8(ascii: "+") || c == UInt8(ascii: "/") { bits |= valueStart }
            if c >= 0x20 && c < 0x7f && c != quote && c != backslash { bits |= quotedText }
            table[b] = bits
        }
        return UnsafePointer(table)
    }()

    static func isWord(_ b: UInt8) -> Bool { classes[Int(b)] & word != 0 }
    static func isKeyStart(_ b: UInt8) -> Bool { classes[Int(b)] & keyStart != 0 }
    static func isValueStart(_ b: UInt8) -> Bool { classes[Int(b)] & valueStart != 0 }
    static func isQuotedText(_ b: UInt8) -> Bool { classes[Int(b)] & quotedText != 0 }

    /// The length of the well-formed UTF-8 sequence at `i` when it spells a character libyaml
    /// reads as ordinary text inside a quoted scalar (U+00A0 and up, but not U+2028 and U+2029,
    /// which are line breaks to it, U+FEFF, nor U+FFFE and U+FFFF, which it refuses); nil else.
    static func printableUTF8(_ base: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Int? {
        let b0 = UInt32(base[i])
        let n: Int, min: UInt32
        var c: UInt32
        switch b0 {
        case 0xc2...0xdf: n = 2; c = b0 & 0x1f; min = 0x80
        case 0xe0...0xef: n = 3; c = b0 & 0x0f; min = 0x800
        case 0xf0...0xf4: n = 4; c = b0 & 0x07; min = 0x10000
        default: return nil
        }
        guard end - i >= n else { return nil }
        for k in 1..<n {
            let b = UInt32(base[i + k])
            guard b & 0xc0 == 0x80 else { return nil }
            c = c << 6 | (b & 0x3f)
        }
        guard c >= min, c <= 0x10ffff, !(0xd800...0xdfff).contains(c), c >= 0xa0,
              c != 0x2028, c != 0x2029, c != 0xfeff, c != 0xfffe, c != 0xffff else { return nil }
        return n
    }
}

private let space = UInt8(ascii: " ")
private let newline = UInt8(ascii: "\n")
private let quote = UInt8(ascii: "\"")
private let colon = UInt8(ascii: ":")
private let backslash = UInt8(ascii: "\\")
private let dash = UInt8(ascii: "-")

// MARK: forking (YAMLReader.Fork)

extension YAMLSubsetScanner {
    /// At a block mapping's start, its first line not yet read: where that line starts; nil
    /// anywhere else (a flow `{}` among them).
    var mappingContentStart: Int? {
        guard kind == .mappingStart, phase == .lineStart, depth > 0, !topIsList else { return nil }
        return pos
    }

    /// The first line starting at or after `from`, until `limit`, that holds a key of the
    /// innermost mapping (indented by exactly its indent, then a plain key's first byte or a
    /// quote) whose value is a block on the lines below (the next line is indented more): as an
    /// entry of a manifest's `keys:` is. Its start and where the key's text starts; nil when
    /// none. Only a candidate: whether the line is one of the mapping's keys is for a reader to
    /// find by getting there (YAMLReader.isAt).
    func blockKeyLine(from: Int, limit: Int) -> (line: Int, key: Int)? {
        let indent = topIndent, limit = min(limit, end)
        var i = lineStart(atOrAfter: from)
        while i < limit {
            let next = lineStart(atOrAfter: i + 1)
            if spaces(at: i) == indent, i + indent < end {
                let b = base[i + indent]
                if next < end, spaces(at: next) > indent {
                    if classes[Int(b)] & YAMLSubsetScanner.keyStart != 0 { return (i, i + indent) }
                    if b == quote { return (i, i + indent + 1) }
                }
            }
            i = next
        }
        return nil
    }

    /// Where the innermost mapping's run of such keys (`blockKeyLine`) ends, about: found by
    /// halving, from a mapping's first line at `first`, as where the first line at or after a
    /// point indented no deeper than the mapping's keys stops being one of them (past the end
    /// of a manifest's `keys:`, the next section or the `secrets:` pairs). Within a few lines
    /// when the keys run on to one point and stop there, as in what keyrack writes.
    func blockKeysEnd(first: Int) -> Int {
        let indent = topIndent
        var low = first, high = end
        while high - low > 256 {
            let middle = low + (high - low) / 2
            var i = lineStart(atOrAfter: middle)
            while i < end, spaces(at: i) > indent { i = lineStart(atOrAfter: i + 1) }
            let next = i < end ? lineStart(atOrAfter: i + 1) : end
            if i < end, spaces(at: i) == indent, next < end, spaces(at: next) > indent { low = middle } else { high = middle }
        }
        return high
    }

    /// The start of the first line at or after `from` (`from` itself when a line starts there);
    /// `end` when none.
    private func lineStart(atOrAfter from: Int) -> Int {
        guard from > 0 else { return 0 }
        guard from < end else { return end }
        if base[from - 1] == newline { return from }
        guard let nl = memchr(base + from, Int32(newline), end - from) else { return end }
        return UnsafePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - base + 1
    }

    /// The spaces the line starting at `i` is indented by.
    private func spaces(at i: Int) -> Int {
        var j = i
        while j < end, base[j] == space { j += 1 }
        return j - i
    }

    /// This scanner (at a mapping's start, `mappingContentStart`) moved to the line starting at
    /// `offset`: it reads on from there as it would have had it read every line before (those
    /// lines leave nothing open at the mapping's level), its lines counted from 1 there.
    func forked(at offset: Int) -> YAMLSubsetScanner {
        var copy = self
        copy.pos = offset
        copy.line = 1
        copy.eventLine = 1
        return copy
    }

    /// Whether the current event is the key whose text starts at `key`, read by `next()` at the
    /// start of its line, `depth` collections open: the state a fork at that line starts from.
    func isAtKey(_ key: Int, depth: Int) -> Bool {
        kind == .scalar && phase == .afterKey && start == key && self.depth == depth
    }

    /// Whether `other` (a copy of this scanner's, read on elsewhere) is where this one is, in
    /// everything it reads on from (not the lines).
    func samePlace(as other: YAMLSubsetScanner) -> Bool {
        pos == other.pos && phase == other.phase && depth == other.depth && indents == other.indents && lists == other.lists
            && kind == other.kind && start == other.start && count == other.count && plain == other.plain && binary == other.binary
            && flowEnd == other.flowEnd && base == other.base && end == other.end
    }

    /// How many block collections are open.
    var openCollections: Int { depth }

    /// Counts lines from `by` more (a fork's, taken over by the reader it was forked from).
    mutating func shiftLines(by shift: Int) {
        line += shift
        eventLine += shift
    }
}
