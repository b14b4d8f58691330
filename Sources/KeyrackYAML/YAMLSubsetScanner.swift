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
/// the events libyaml yields (kind, scalar bytes, plain or quoted, tag), proved by
/// YAMLSubsetTests and the fuzz-manifest-subset target. Anything that libyaml might read
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

    let base: UnsafePointer<UInt8>
    let end: Int
    private var pos = 0
    /// The line `pos` is on.
    private var line = 1
    /// The open block collections, outermost first: a mapping's keys, or an (indentless) list's
    /// `- `, all start at `indent`.
    private var open: [(indent: Int, isList: Bool)] = []

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
        open.reserveCapacity(YAMLSubsetScanner.maxDepth)
    }

    /// Moves to the next event; false when the input leaves the subset here (the caller then
    /// reads the whole document with libyaml).
    mutating func next() -> Bool {
        switch phase {
        case .streamStart:
            kind = .streamStart
            phase = .documentStart
            return true
        case .documentStart:
            // The root is a block mapping whose first key starts the document.
            guard end > 0, YAMLSubsetScanner.isKeyStart(base[0]) || base[0] == quote else { return false }
            // What keyrack writes leaves the subset only where libyaml wrote an escape (a value
            // with a line break, a quote, a tab, a character outside the BMP): one look for a
            // backslash sends such a manifest to libyaml before anything is read twice.
            guard memchr(base, Int32(backslash), end) == nil else { return false }
            kind = .documentStart
            phase = .root
            return true
        case .root:
            return push(indent: 0, isList: false)
        case .lineStart:
            return lineStart()
        case .key:
            return key()
        case .afterKey:
            return value()
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

    /// Opens a block mapping or list whose entries start at `indent`.
    private mutating func push(indent: Int, isList: Bool, then next: Phase = .lineStart) -> Bool {
        guard open.count < YAMLSubsetScanner.maxDepth else { return false }
        open.append((indent, isList))
        kind = isList ? .sequenceStart : .mappingStart
        eventLine = line
        phase = next
        return true
    }

    /// Closes the innermost block collection.
    private mutating func pop() -> Bool {
        kind = open.removeLast().isList ? .sequenceEnd : .mappingEnd
        return true
    }

    /// At the start of a line: a key of the innermost mapping, an entry of the innermost list,
    /// or the end of one or more of them.
    private mutating func lineStart() -> Bool {
        eventLine = line
        if pos == end {
            if !open.isEmpty { return pop() }
            kind = .documentEnd
            phase = .streamEnd
            return true
        }
        var i = pos
        while i < end, base[i] == space { i += 1 }
        let indent = i - pos
        let top = open[open.count - 1]
        if top.isList {
            if indent == top.indent, i + 1 < end, base[i] == dash, base[i + 1] == space {
                pos = i + 2
                return entry()
            }
            // Less indented, or a key of the mapping the (indentless) list is the value of.
            guard indent <= top.indent else { return false }
            return pop()
        }
        if indent < top.indent { return pop() }
        guard indent == top.indent else { return false }
        pos = i
        return key()
    }

    /// After a list's `- `: a scalar, or the first key of a mapping.
    private mutating func entry() -> Bool {
        let at = pos
        guard pos < end else { return false }
        if base[pos] == quote {
            guard quoted() else { return false }
        } else {
            guard YAMLSubsetScanner.isValueStart(base[pos]) else { return false }
            plainWord()
        }
        guard pos < end else { return false }
        if base[pos] == colon {
            // `- key: …`: a mapping whose keys start two columns in, its first key read next.
            pos = at
            return push(indent: open[open.count - 1].indent + 2, isList: false, then: .key)
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
        if base[pos] == quote {
            guard quoted() else { return false }
        } else {
            guard YAMLSubsetScanner.isKeyStart(base[pos]) else { return false }
            plainWord()
        }
        guard pos - at <= YAMLSubsetScanner.maxKey, pos < end, base[pos] == colon else { return false }
        pos += 1
        binary = false
        kind = .scalar
        phase = .afterKey
        return true
    }

    /// After `key:`: ` value` on the same line, or a line break and a nested mapping (indented
    /// by two more) or list (`- ` where the key starts, as libyaml writes it).
    private mutating func value() -> Bool {
        guard pos < end else { return false }
        eventLine = line
        if base[pos] == newline {
            var i = pos + 1
            while i < end, base[i] == space { i += 1 }
            let indent = i - (pos + 1), keyIndent = open[open.count - 1].indent
            guard i < end else { return false }
            pos += 1
            line += 1
            if indent == keyIndent + 2, YAMLSubsetScanner.isKeyStart(base[i]) || base[i] == quote {
                return push(indent: indent, isList: false)
            }
            if indent == keyIndent, i + 1 < end, base[i] == dash, base[i + 1] == space {
                return push(indent: indent, isList: true)
            }
            return false
        }
        guard base[pos] == space, pos + 1 < end else { return false }
        pos += 1
        binary = false
        switch base[pos] {
        case quote:
            guard quoted() else { return false }
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            let opening = base[pos]
            guard pos + 2 < end, base[pos + 1] == opening + 2, base[pos + 2] == newline, open.count < YAMLSubsetScanner.maxDepth else { return false }
            kind = opening == UInt8(ascii: "[") ? .sequenceStart : .mappingStart
            flowEnd = opening == UInt8(ascii: "[") ? .sequenceEnd : .mappingEnd
            pos += 3
            line += 1
            phase = .closeFlow
            return true
        case UInt8(ascii: "!"):
            guard YAMLSubsetScanner.matches(base, pos, end, YAMLSubsetScanner.binaryTag) else { return false }
            pos += YAMLSubsetScanner.binaryTag.count
            guard pos < end, YAMLSubsetScanner.isValueStart(base[pos]) else { return false }
            plainWord()
            binary = true
        default:
            guard YAMLSubsetScanner.isValueStart(base[pos]) else { return false }
            plainWord()
        }
        guard pos < end, base[pos] == newline else { return false }
        pos += 1
        line += 1
        kind = .scalar
        phase = .lineStart
        return true
    }

    /// A plain scalar of word bytes from `pos` (its first byte already checked).
    private mutating func plainWord() {
        // On locals: `self`'s fields are written back to memory at every step otherwise.
        let base = base, end = end
        var i = pos + 1
        while i < end, YAMLSubsetScanner.isWord(base[i]) { i += 1 }
        start = pos
        count = i - pos
        pos = i
        plain = true
    }

    /// A double-quoted scalar on one line without escapes, `pos` at its opening quote; moves
    /// past the closing one. False on anything libyaml would decode or refuse.
    private mutating func quoted() -> Bool {
        var i = pos + 1
        while i < end {
            let b = base[i]
            if b == quote { break }
            if b >= 0x20 && b < 0x7f {
                guard b != backslash else { return false }
                i += 1
                continue
            }
            guard let n = YAMLSubsetScanner.printableUTF8(base, i, end) else { return false }
            i += n
        }
        guard i < end else { return false }
        start = pos + 1
        count = i - start
        plain = false
        pos = i + 1
        return true
    }

    // MARK: bytes

    private static let binaryTag: [UInt8] = Array("!!binary ".utf8)

    private static func matches(_ base: UnsafePointer<UInt8>, _ at: Int, _ end: Int, _ literal: [UInt8]) -> Bool {
        guard end - at >= literal.count else { return false }
        for (k, b) in literal.enumerated() where base[at + k] != b { return false }
        return true
    }

    /// Letters, digits and `_ . / - @ + =`: never an indicator, a blank or a comment inside a
    /// plain scalar, and the alphabet of base64. A bit per ASCII byte (the chain of comparisons
    /// it replaces was a tenth of reading a manifest).
    @inline(__always)
    static func isWord(_ b: UInt8) -> Bool {
        b < 64 ? (wordLow >> UInt64(b)) & 1 != 0 : b < 128 && (wordHigh >> UInt64(b - 64)) & 1 != 0
    }

    /// `0-9 . / - + =` (bytes 0-63) and `A-Z a-z _ @` (bytes 64-127), as literals: a computed
    /// static is a lazy global, checked at every use. YAMLSubsetTests checks them.
    static let wordLow: UInt64 = 0x23ffe80000000000
    static let wordHigh: UInt64 = 0x07fffffe87ffffff

    /// A plain key's first byte: a letter, a digit or `_` (no indicator, no `---`, `...`, `-`, `%`).
    @inline(__always)
    static func isKeyStart(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "_")
    }

    /// A plain value's first byte: as a key's, or base64's `+` and `/`.
    @inline(__always)
    static func isValueStart(_ b: UInt8) -> Bool {
        isKeyStart(b) || b == UInt8(ascii: "+") || b == UInt8(ascii: "/")
    }

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
