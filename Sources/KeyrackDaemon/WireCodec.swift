#if canImport(Glibc)
import Glibc
#endif
import SecretBytes
import KeyrackNames
/// Big-endian, length-prefixed binary fields: the whole vocabulary of the daemon protocol.
/// A string is `u32 length ‖ UTF-8`, bytes are `u32 length ‖ bytes`, integers are fixed width.
/// The reader never traps: every read checks the remaining length and throws `.malformed`
/// naming the field, so a hostile frame costs an error reply and nothing else.
struct WireWriter {
    private(set) var bytes: [UInt8] = []

    /// Grows the buffer by hand, zeroing the old one: a plain append would reallocate and free
    /// the old buffer with the values written so far still in it.
    mutating func reserve(_ extra: Int) {
        guard bytes.count + extra > bytes.capacity else { return }
        var grown: [UInt8] = []
        grown.reserveCapacity(max(bytes.capacity * 2, bytes.count + extra, 256))
        grown.append(contentsOf: bytes)
        zeroize(&bytes)
        bytes = grown
    }

    mutating func u8(_ v: UInt8) { reserve(1); bytes.append(v) }
    mutating func u32(_ v: UInt32) {
        reserve(4)
        bytes.append(UInt8(truncatingIfNeeded: v >> 24)); bytes.append(UInt8(truncatingIfNeeded: v >> 16))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8)); bytes.append(UInt8(truncatingIfNeeded: v))
    }
    mutating func u64(_ v: UInt64) { u32(UInt32(truncatingIfNeeded: v >> 32)); u32(UInt32(truncatingIfNeeded: v)) }
    // Strings and slugs go in from their own UTF-8, without an array (or, for a slug, the
    // description) made first: an unlock frame holds two per key.
    mutating func string(_ s: String) {
        let n = s.utf8.count
        u32(UInt32(n)); reserve(n); bytes.append(contentsOf: s.utf8)
    }
    mutating func data(_ d: [UInt8]) { u32(UInt32(d.count)); reserve(d.count); bytes.append(contentsOf: d) }
    mutating func slug(_ s: Slug) {
        let n = s.utf8Count
        u32(UInt32(n)); reserve(n); s.appendUTF8(to: &bytes)
    }
    mutating func count(_ n: Int) { u32(UInt32(n)) }

    /// Zeroes the buffer (it may hold values) and empties it.
    mutating func wipe() { zeroize(&bytes); bytes = [] }
}

struct WireReader {
    private let bytes: [UInt8]
    private var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) { self.bytes = bytes; self.offset = offset }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func u8(_ field: String) throws -> UInt8 {
        guard offset < bytes.count else { throw DaemonError.malformed("\(field): frame ends early") }
        defer { offset += 1 }
        return bytes[offset]
    }

    // Integers loaded whole from the checked place (a byte at a time, with a bounds check
    // each, was most of reading an UNLOCK's fixed fields).
    mutating func u32(_ field: String) throws -> UInt32 {
        guard bytes.count - offset >= 4 else { throw DaemonError.malformed("\(field): frame ends early") }
        defer { offset += 4 }
        return UInt32(bigEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) })
    }

    mutating func u64(_ field: String) throws -> UInt64 {
        guard bytes.count - offset >= 8 else { throw DaemonError.malformed("\(field): frame ends early") }
        defer { offset += 8 }
        return UInt64(bigEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self) })
    }

    mutating func data(_ field: String, max: Int = Frame.maximumBodySize) throws -> [UInt8] {
        let range = try span(field, max: max)
        // One copy of contiguous bytes: from the slice, Array went through the generic collection copy.
        return bytes.withUnsafeBufferPointer { Array(UnsafeBufferPointer(rebasing: $0[range])) }
    }

    mutating func string(_ field: String, max: Int = 4096, expecting expected: String? = nil) throws -> String {
        let range = try span(field, max: max)
        if let expected, expected.utf8.count == range.count,
           bytes.withUnsafeBufferPointer({ Self.same(expected, UnsafeBufferPointer(rebasing: $0[range]), at: 0) }) { return expected }
        // Validated in place: no array copied out first (a short string then needs no allocation at all).
        guard let s = String(validating: bytes[range], as: UTF8.self) else { throw DaemonError.malformed("\(field): not UTF-8") }
        return s
    }

    mutating func slug(_ field: String) throws -> Slug { try slug(field, expecting: nil) }

    /// A slug; when it is `expected` byte for byte (a reply naming the grants just sent, in
    /// order), that very value, so the parts are neither copied nor checked again.
    mutating func slug(_ field: String, expecting expected: Slug?) throws -> Slug {
        let start = offset
        let range = try span(field, max: 1024)
        if let expected, Self.equal(bytes[range], expected) { return expected }
        let parsed = bytes.withUnsafeBufferPointer { Slug(utf8: UnsafeBufferPointer(rebasing: $0[range])) }
        if let parsed { return parsed }
        // Refused: read again as a string, for the refusal's words (not UTF-8, or not a slug).
        offset = start
        let s = try string(field, max: 1024)
        throw DaemonError.malformed("\(field): '\(s.prefix(80))' is not ORG.ENV.KEY")
    }

    /// A slug; when its org and env are `previous`'s byte for byte (the next slug of an unlock,
    /// nearly always), those two parts are shared and only the key is decoded and checked.
    /// Anything else is read as `slug(_:)` reads it, refusals worded the same.
    mutating func slug(_ field: String, sharingPartsWith previous: Slug?) throws -> Slug {
        guard let previous else { return try slug(field) }
        return try slug(field, sharingPartsOf: previous)
    }

    /// `slug(_:sharingPartsWith:)` of a slug there is (passed in place: made optional, it was copied).
    mutating func slug(_ field: String, sharingPartsOf previous: Slug) throws -> Slug {
        let start = offset
        let range = try span(field, max: 1024)
        let shared: Slug? = bytes.withUnsafeBufferPointer { all in
            let text = UnsafeBufferPointer(rebasing: all[range])
            // Neither org nor env holds a dot: a dot right after each, and their bytes, place
            // the key after the second dot exactly as a full parse would.
            let org = previous.org.utf8.count, env = previous.env.utf8.count, dot = UInt8(ascii: ".")
            guard text.count > org + env + 2, text[org] == dot, text[org + 1 + env] == dot,
                  Self.same(previous.org, text, at: 0), Self.same(previous.env, text, at: org + 1) else { return nil }
            return Slug(orgAndEnvOf: previous, keyUTF8: UnsafeBufferPointer(rebasing: text[(org + env + 2)...]))
        }
        if let shared { return shared }
        offset = start
        return try slug(field)
    }

    /// The next `u32 length ‖ bytes` field's bytes, as positions in the frame; moves past it.
    private mutating func span(_ field: String, max: Int) throws -> Range<Int> {
        let n = Int(try u32(field))
        guard n <= max else { throw DaemonError.malformed("\(field): \(n) bytes is over the limit of \(max)") }
        guard bytes.count - offset >= n else { throw DaemonError.malformed("\(field): frame ends early") }
        defer { offset += n }
        return offset..<offset + n
    }

    /// Whether `bytes` are `slug`'s description, compared part by part in place.
    /// Each part is compared with `memcmp` over its contiguous UTF-8 (a byte at a time through
    /// the UTF-8 view was 2 000 instructions a slug, most of reading an UNLOCKED reply).
    private static func equal(_ bytes: ArraySlice<UInt8>, _ slug: Slug) -> Bool {
        guard bytes.count == slug.utf8Count else { return false }
        return bytes.withUnsafeBufferPointer { text in
            let org = slug.org.utf8.count, env = slug.env.utf8.count, dot = UInt8(ascii: ".")
            return text[org] == dot && text[org + 1 + env] == dot
                && same(slug.org, text, at: 0) && same(slug.env, text, at: org + 1) && same(slug.key, text, at: org + env + 2)
        }
    }

    /// Whether `text` holds `part`'s UTF-8 at `at` (the caller checked there is room).
    private static func same(_ part: String, _ text: UnsafeBufferPointer<UInt8>, at: Int) -> Bool {
        var part = part
        return part.withUTF8 { p in
            guard let a = p.baseAddress, let b = text.baseAddress else { return p.isEmpty }
            return memcmp(a, b + at, p.count) == 0
        }
    }

    /// A count of items each at least `minimumItemSize` bytes long, checked against what is
    /// left, so a forged count cannot make the reader reserve gigabytes.
    mutating func count(_ field: String, minimumItemSize: Int) throws -> Int {
        let n = Int(try u32(field))
        guard n <= (bytes.count - offset) / max(minimumItemSize, 1) else {
            throw DaemonError.malformed("\(field): \(n) items cannot fit in the frame")
        }
        return n
    }

    func end(_ what: String) throws {
        guard isAtEnd else { throw DaemonError.malformed("\(what): \(bytes.count - offset) unexpected trailing bytes") }
    }
}
