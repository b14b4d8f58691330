import Foundation
import KeyrackYAML
import KeyrackNames

/// Reads the entries of a manifest's `keys:` straight from libyaml's events, one `KeyEntry` at
/// a time: a manifest of 10 000 keys is 130 000 scalars here, and a tree of them, a copy of
/// each as an array, then a String and a lookup by name per field was most of `unlock`.
///
/// An entry's fields come in any order, so they are first gathered (where each scalar's bytes
/// are: in the input on the subset path, else copied into one buffer reused from entry to
/// entry), then checked in the order the manifest's rules have always been checked in: slug,
/// env and org against it, vault, exid, mech, maxDuration, options, addr, cacert, sendTo,
/// createdAt, updatedAt, and last an unknown field. Each refusal names the line and the field as
/// it did when the entry was a tree (HostManifestCodecTests). A String is made only of what an
/// entry keeps, and only when it differs from the last entry's.
///
/// Noncopyable: it owns the table of an entry's fields (a fixed buffer, not an array checked
/// for uniqueness at every write).
struct KeyEntryReader: ~Copyable {
    /// The fields a key may have, in the order they are checked.
    enum Field: Int, CaseIterable {
        case slug, env, org, vault, exid, mech, maxDuration, options, addr, cacert, sendTo, createdAt, updatedAt

        /// The name as written (a literal: its bytes are in the binary, with no lazy global to check).
        @inline(__always)
        var literal: StaticString {
            switch self {
            case .slug: "slug"
            case .env: "env"
            case .org: "org"
            case .vault: "vault"
            case .exid: "exid"
            case .mech: "mech"
            case .maxDuration: "maxDuration"
            case .options: "options"
            case .addr: "addr"
            case .cacert: "cacert"
            case .sendTo: "sendTo"
            case .createdAt: "createdAt"
            case .updatedAt: "updatedAt"
            }
        }

        /// The one field a name can be, by its second byte and length (`slot`), then its bytes:
        /// a field is found with one comparison, not one per field name.
        @inline(__always)
        init?(named name: UnsafeBufferPointer<UInt8>) {
            guard name.count >= 3, let p = name.baseAddress else { return nil }
            let slot = Int(truncatingIfNeeded: (p[1] ^ UInt8(truncatingIfNeeded: name.count)) & 31)
            let raw = Int(truncatingIfNeeded: (slot < 16 ? Field.slotsLow >> (4 * slot) : Field.slotsHigh >> (4 * (slot - 16))) & 0xf)
            guard let field = Field(rawValue: raw) else { return nil }
            let literal = field.literal
            guard literal.utf8CodeUnitCount == name.count, KeyEntryReader.same(literal.utf8Start, p, name.count) else { return nil }
            self = field
        }

        /// The field in each of 32 slots (a name's second byte XOR its length, low five bits),
        /// four bits a slot, 15 for none: slots 0-15 in `slotsLow`, 16-31 in `slotsHigh`. No two
        /// fields share a slot (KeyEntryFieldTests).
        static let slotsLow: UInt64 = 0xff1f_f6f0_9ff3_af58
        static let slotsHigh: UInt64 = 0xfff4_bfcf_7fff_ff2f

        var name: String { literal.description }
    }

    /// One scalar field as read: where its text is (`bytes(_:_:)`), or why it has none.
    private enum Value {
        case absent
        /// Written as null (`null`, `~`, nothing): absent, as far as the rules go.
        case null
        case text(start: Int, count: Int)
        /// A mapping or a list where a string belongs, starting on `line`.
        case notScalar(line: Int)
        /// Tagged `!!binary`, or not UTF-8.
        case notString(line: Int)
    }

    /// The entry's fields, by `Field.rawValue`.
    private static let fieldCount = Field.updatedAt.rawValue + 1
    private let values = UnsafeMutablePointer<Value>.allocate(capacity: KeyEntryReader.fieldCount)
    /// The bytes of the entry's key and text fields, copied out of libyaml's events (which go at
    /// the next one), in a buffer of its own so that `bytes(_:_:)` can hand out a pointer.
    private var text = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 256)
    private var textCount = 0
    /// The reader's input when scalars stay in it until the read ends (`YAMLReader.stableInput`):
    /// then `.text` positions are in it and nothing is copied to `text`.
    private var input: UnsafeBufferPointer<UInt8>?
    private var options: YAMLNode?
    private var sendTo: YAMLNode?
    /// A bit per field read so far (a set per entry was an allocation and a hash per field).
    private var seen: UInt16 = 0
    /// Fields this keyrack does not know, by name and line, in the file's order.
    private var unknown: [(name: [UInt8], line: Int)] = []
    /// The entry's key under `keys:` (as `bytes(_:_:)` finds it), its line, the line of its mapping.
    private var key = (start: 0, count: 0)
    /// Whether the last entry's slug is `Slug(utf8:)` of its key (so a reader of the same bytes
    /// elsewhere may take it instead of parsing them again).
    private(set) var slugIsParsedKey = false
    private var keyLine = 0
    private var line = 0

    init() {
        values.initialize(repeating: .absent, count: KeyEntryReader.fieldCount)
    }

    deinit {
        values.deinitialize(count: KeyEntryReader.fieldCount)
        values.deallocate()
        text.deallocate()
    }

    /// Reads the entry whose key `reader.nextKey()` has just read, the reader at its value.
    mutating func read(_ reader: inout YAMLReader) throws -> KeyEntry {
        input = reader.stableInput
        textCount = 0
        key = place(reader.keyBytes)
        keyLine = reader.keyLine
        line = reader.line
        guard reader.kind == .mappingStart else {
            let node = try YAMLParser.node(&reader)
            throw YAMLError(line: node.line, "\(path) must be a mapping")
        }
        try gather(&reader)
        let entry = try HostManifest.field(keyLine) { try build() }
        if let extra = unknown.first {
            throw YAMLError(line: extra.line, "unknown field '\(String(decoding: extra.name, as: UTF8.self).prefix(60))' in \(path)")
        }
        return entry
    }

    /// The entry's key as written under `keys:`, valid until the next `read`.
    var keyBytes: UnsafeBufferPointer<UInt8> { mutating get { bytes(key.start, key.count) } }

    /// `keys.KEY`, as refusals name the entry.
    private var path: String {
        "keys.\(String(decoding: KeyEntryReader.bytes(input, text, key.start, key.count), as: UTF8.self).prefix(80))"
    }

    /// Reads the entry's mapping, refusing a field met twice as the tree reader did.
    private mutating func gather(_ reader: inout YAMLReader) throws {
        values.update(repeating: .absent, count: KeyEntryReader.fieldCount)
        options = nil
        sendTo = nil
        seen = 0
        if !unknown.isEmpty { unknown.removeAll(keepingCapacity: true) }
        // The fields written `name: value` on one line come at once; the rest (`options`,
        // `sendTo`, and any field libyaml reads) one event at a time, below.
        try reader.enterMapping { pair in try take(pair) }
        while try reader.nextKey() {
            guard let field = Field(named: reader.keyBytes) else {
                let name = reader.key
                guard !unknown.contains(where: { $0.name == name }) else { throw YAMLReader.duplicateKey(name, line: reader.keyLine) }
                unknown.append((name, reader.keyLine))
                _ = try YAMLParser.node(&reader)
                continue
            }
            let bit: UInt16 = 1 << field.rawValue
            guard seen & bit == 0 else { throw YAMLReader.duplicateKey(reader.keyBytes, line: reader.keyLine) }
            seen |= bit
            switch field {
            case .options: options = try YAMLParser.node(&reader)
            case .sendTo: sendTo = try YAMLParser.node(&reader)
            default: values[field.rawValue] = try scalar(&reader)
            }
        }
    }

    /// A field the reader read with its value, a scalar (`YAMLReader.enterMapping(pairs:)`): taken
    /// as `gather` and `scalar` take it from its events.
    private mutating func take(_ pair: YAMLReader.ScalarPair) throws {
        guard let field = Field(named: pair.key) else {
            let name = Array(pair.key)
            guard !unknown.contains(where: { $0.name == name }) else { throw YAMLReader.duplicateKey(name, line: pair.line) }
            unknown.append((name, pair.line))
            return
        }
        let bit: UInt16 = 1 << field.rawValue
        guard seen & bit == 0 else { throw YAMLReader.duplicateKey(pair.key, line: pair.line) }
        seen |= bit
        switch field {
        case .options: options = pair.node
        case .sendTo: sendTo = pair.node
        // Untagged and UTF-8: null or text.
        default:
            if pair.valueIsNull {
                values[field.rawValue] = .null
            } else {
                let (start, count) = place(pair.value)
                values[field.rawValue] = .text(start: start, count: count)
            }
        }
    }

    /// The value at the reader: where its text is when it is a string.
    private mutating func scalar(_ reader: inout YAMLReader) throws -> Value {
        guard reader.kind == .scalar else { return .notScalar(line: try YAMLParser.node(&reader).line) }
        let value: Value
        if reader.scalarIsNull {
            value = .null
        } else if reader.scalarTag == .binary || !reader.scalarIsUTF8 {
            value = .notString(line: reader.line)
        } else {
            let (start, count) = place(reader.scalarBytes)
            value = .text(start: start, count: count)
        }
        try reader.advance()
        return value
    }

    /// Where `bytes` (the current scalar) will be found by `bytes(_:_:)` until the next `read`:
    /// in place in the input on the subset path, else copied to `text` (libyaml frees them).
    @inline(__always)
    private mutating func place(_ bytes: UnsafeBufferPointer<UInt8>) -> (start: Int, count: Int) {
        if let input { return (bytes.baseAddress.map { $0 - input.baseAddress! } ?? 0, bytes.count) }
        return copy(bytes)
    }

    private mutating func copy(_ bytes: UnsafeBufferPointer<UInt8>) -> (start: Int, count: Int) {
        let start = textCount
        if text.count - start < bytes.count {
            let grown = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(2 * text.count, start + bytes.count))
            _ = grown.initialize(from: text[0..<start])
            text.deallocate()
            text = grown
        }
        if let from = bytes.baseAddress, bytes.count > 0 { (text.baseAddress! + start).initialize(from: from, count: bytes.count) }
        textCount = start + bytes.count
        return (start, bytes.count)
    }

    /// The bytes of a text field (or the key): in the input while it stays in place for the whole
    /// read (the subset path: copying every scalar out of it was a tenth of reading an entry),
    /// else in `text`. Valid until the next `read`.
    ///
    /// Inlined and `mutating`, as `matches`.
    @inline(__always)
    private mutating func bytes(_ start: Int, _ count: Int) -> UnsafeBufferPointer<UInt8> {
        KeyEntryReader.bytes(input, text, start, count)
    }

    @inline(__always)
    private static func bytes(_ input: UnsafeBufferPointer<UInt8>?, _ text: UnsafeMutableBufferPointer<UInt8>, _ start: Int, _ count: Int) -> UnsafeBufferPointer<UInt8> {
        if let input { return UnsafeBufferPointer(rebasing: input[start..<start + count]) }
        return UnsafeBufferPointer(rebasing: text[start..<start + count])
    }

    @inline(__always)
    private mutating func bytes(_ range: (start: Int, count: Int)) -> UnsafeBufferPointer<UInt8> { bytes(range.start, range.count) }

    // MARK: checking, in the rules' order

    private mutating func build() throws -> KeyEntry {
        let slug = try slugField()
        guard try matches(.env, slug, part: 1), try matches(.org, slug, part: 0) else {
            throw YAMLError(line: keyLine, "\(path): env and org must match the slug")
        }
        let (vault, v) = try parse(.vault, KeyEntryReader.vaults, lastVault) { try Vault(parsing: $0) }
        lastVault = v
        let exid = try optionalString(.exid)
        let (mech, m) = try parse(.mech, KeyEntryReader.mechanisms, lastMech) { try Mechanism(parsing: $0) }
        lastMech = m
        let maxDuration = try optionalString(.maxDuration).map(Duration.init)
        // Most keys have neither: no call, no path made.
        let options = self.options == nil ? [:] : try HostManifest.decodeOptions(self.options, path: path + ".options")
        let addr = try optionalString(.addr), cacert = try optionalString(.cacert)
        let sendTo = self.sendTo == nil ? [] : try HostManifest.decodeSendTo(self.sendTo, path: path + ".sendTo")
        let created = bytes(try textRange(.createdAt)), updated = bytes(try textRange(.updatedAt))
        let (createdAt, sameCreated) = lastCreatedAt.text(of: created), (updatedAt, sameUpdated) = lastUpdatedAt.text(of: updated)
        // Keys set together share all but their slug: one box for the run of them. Most keys
        // have none of the optional fields: then the same timestamps as the last key's (which
        // are the box's) say it all; else compared field by field in place (a Fields made and
        // copied to compare cost more than the box).
        let bare = exid == nil && maxDuration == nil && addr == nil && cacert == nil && options.isEmpty && sendTo.isEmpty
        if let last = lastDetails {
            if bare && lastDetailsBare && sameCreated && sameUpdated { return KeyEntry(slug: slug, vault: vault, mech: mech, details: last) }
            if last.fields.createdAt == createdAt, last.fields.updatedAt == updatedAt, last.fields.exid == exid,
               last.fields.maxDuration == maxDuration, last.fields.options == options, last.fields.addr == addr, last.fields.cacert == cacert,
               last.fields.sendTo == KeyEntry.Fields.normalized(sendTo) {
                return KeyEntry(slug: slug, vault: vault, mech: mech, details: last)
            }
        }
        let details = KeyEntry.Details(KeyEntry.Fields(exid: exid, maxDuration: maxDuration, options: options, addr: addr, cacert: cacert,
                                                       sendTo: sendTo, createdAt: createdAt, updatedAt: updatedAt))
        lastDetails = details
        lastDetailsBare = bare
        return KeyEntry(slug: slug, vault: vault, mech: mech, details: details)
    }

    /// The last entry's other fields, given to the next entry when its are the same; whether
    /// it has none of the optional ones.
    private var lastDetails: KeyEntry.Details?
    private var lastDetailsBare = false

    /// The last createdAt and updatedAt made, reused while the next entry's are the same text (a
    /// manifest's keys share a handful of timestamps, and a String of 20 bytes is an allocation).
    private var lastCreatedAt = LastText(), lastUpdatedAt = LastText()

    /// A String made of bytes, and those bytes.
    private struct LastText {
        var bytes: [UInt8] = []
        var text = ""

        /// `text` when `bytes` are the same as last time, else a new String of them; and which.
        mutating func text(of new: UnsafeBufferPointer<UInt8>) -> (String, same: Bool) {
            if bytes.withUnsafeBufferPointer({ KeyEntryReader.equal($0, new) }) { return (text, true) }
            bytes = Array(new)
            text = String(decoding: new, as: UTF8.self)
            return (text, false)
        }
    }

    /// The last slug parsed from its bytes, and the bytes of its `ORG.ENV.`: a manifest's keys are
    /// nearly all of one org and env, so the next slug with the same start takes that org and
    /// env as they are (`Slug(orgAndEnvOf:keyUTF8:)`), and only its key is checked and made a String.
    private var lastSlug: Slug?
    private var lastOrgEnv: [UInt8] = []
    private var lastOrgCount = 0
    /// Whether this entry's slug came from `slugBytes`, so `lastOrgEnv` is its org and env.
    private var slugFromBytes = false

    /// The slug field: a valid slug, the very text of the entry's key.
    private mutating func slugField() throws -> Slug {
        slugIsParsedKey = false
        slugFromBytes = false
        let text = bytes(try textRange(.slug))
        guard let slug = slugBytes(text) else {
            // Invalid: the String rules say which part is wrong and how.
            let slug = try Slug(validating: String(decoding: text, as: UTF8.self))
            guard KeyEntryReader.equal(text, keyBytes) else { throw slugMismatch(slug) }
            return slug
        }
        guard KeyEntryReader.equal(text, keyBytes) else { throw slugMismatch(slug) }
        slugIsParsedKey = true
        slugFromBytes = true
        return slug
    }

    @inline(never)
    private func slugMismatch(_ slug: Slug) -> YAMLError {
        YAMLError(line: keyLine, "\(path) holds slug '\(slug)'; the two must match")
    }

    /// `Slug(utf8: bytes)`, sharing the last slug's org and env when `bytes` start with them:
    /// the same slug, as those two parts have passed their rules and split there.
    private mutating func slugBytes(_ bytes: UnsafeBufferPointer<UInt8>) -> Slug? {
        let n = lastOrgEnv.count
        if lastSlug != nil, bytes.count > n, lastOrgEnv.withUnsafeBufferPointer({ KeyEntryReader.same($0.baseAddress!, bytes.baseAddress!, n) }) {
            return Slug(orgAndEnvOf: lastSlug!, keyUTF8: UnsafeBufferPointer(rebasing: bytes[n...]))
        }
        guard let slug = Slug(utf8: bytes) else { return nil }
        // Cut where Slug(utf8:) cut: at the first two dots.
        let first = bytes.firstIndex(of: UInt8(ascii: "."))!, second = bytes[(first + 1)...].firstIndex(of: UInt8(ascii: "."))!
        lastSlug = slug
        lastOrgCount = first
        lastOrgEnv = Array(bytes[...second])
        return slug
    }

    /// Whether `field` is the slug's org (`part` 0) or env (1): on the bytes the slug was read
    /// from, else (a slug the String rules read) on the part's String.
    ///
    /// This and the other small methods below are inlined, and `mutating` though they change
    /// nothing: `self` is then passed by reference, where a non-mutating method of a struct this
    /// size is passed a copy of it (ten copies of the reader an entry, a tenth of reading it).
    @inline(__always)
    private mutating func matches(_ field: Field, _ slug: Slug, part: Int) throws -> Bool {
        let text = bytes(try textRange(field))
        if slugFromBytes {
            return lastOrgEnv.withUnsafeBufferPointer { orgEnv in
                let from = part == 0 ? 0 : lastOrgCount + 1, to = part == 0 ? lastOrgCount : orgEnv.count - 1
                return KeyEntryReader.equal(text, UnsafeBufferPointer(rebasing: orgEnv[from..<to]))
            }
        }
        var name = part == 0 ? slug.org : slug.env
        return name.withUTF8 { KeyEntryReader.equal(text, $0) }
    }

    /// An enum field read by its raw value: matched on the bytes against `names` (each case's
    /// raw value as bytes), the one `last` matched first (keys mostly share their vault and
    /// mechanism), the String made only for the refusal.
    @inline(__always)
    private mutating func parse<T>(_ field: Field, _ names: [(T, [UInt8])], _ last: Int, refusing: (String) throws -> T) throws -> (T, Int) {
        let text = bytes(try textRange(field))
        if names[last].1.withUnsafeBufferPointer({ KeyEntryReader.equal($0, text) }) { return (names[last].0, last) }
        if let i = names.firstIndex(where: { $0.1.withUnsafeBufferPointer { KeyEntryReader.equal($0, text) } }) { return (names[i].0, i) }
        return (try refusing(String(decoding: text, as: UTF8.self)), last)
    }

    /// The vault and mechanism of the last entry, as indices into `vaults` and `mechanisms`.
    private var lastVault = 0, lastMech = 0

    private static let vaults = Vault.allCases.map { ($0, Array($0.rawValue.utf8)) }
    private static let mechanisms = Mechanism.allCases.map { ($0, Array($0.rawValue.utf8)) }

    /// Byte equality (the generic comparison walked an iterator per byte).
    @inline(__always)
    fileprivate static func equal(_ p: UnsafeBufferPointer<UInt8>, _ q: UnsafeBufferPointer<UInt8>) -> Bool {
        p.count == q.count && (p.count == 0 || same(p.baseAddress!, q.baseAddress!, p.count))
    }

    /// Whether `n` bytes at `p` and `q` are the same: up to 16 (a field's name, a slug's part, a
    /// timestamp) by two loads of each, which may overlap; memcmp beyond, whose call was most of
    /// the cost of comparing a few bytes.
    @inline(__always)
    fileprivate static func same(_ p: UnsafePointer<UInt8>, _ q: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let a = UnsafeRawPointer(p), b = UnsafeRawPointer(q)
        switch n {
        case 8...16:
            return a.loadUnaligned(as: UInt64.self) == b.loadUnaligned(as: UInt64.self)
                && a.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        case 4..<8:
            return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
                && a.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self) == b.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
        case 2..<4:
            return a.loadUnaligned(as: UInt16.self) == b.loadUnaligned(as: UInt16.self)
                && a.loadUnaligned(fromByteOffset: n - 2, as: UInt16.self) == b.loadUnaligned(fromByteOffset: n - 2, as: UInt16.self)
        case 1:
            return p[0] == q[0]
        default:
            return memcmp(p, q, n) == 0
        }
    }

    @inline(__always)
    private mutating func string(_ field: Field) throws -> String {
        String(decoding: bytes(try textRange(field)), as: UTF8.self)
    }

    @inline(__always)
    private mutating func optionalString(_ field: Field) throws -> String? {
        switch values[field.rawValue] {
        case .absent, .null: return nil
        default: return try string(field)
        }
    }

    /// Where a required string field's text is; its refusal when it has none.
    @inline(__always)
    private mutating func textRange(_ field: Field) throws -> (start: Int, count: Int) {
        if case .text(let start, let count) = values[field.rawValue] { return (start, count) }
        throw refusal(field)
    }

    /// Why `field` has no text.
    @inline(never)
    private func refusal(_ field: Field) -> YAMLError {
        switch values[field.rawValue] {
        case .text: preconditionFailure("a text field has its text")
        case .absent, .null: return YAMLError(line: line, "\(path).\(field.name) is missing")
        case .notScalar(let at): return YAMLError(line: at, "\(path).\(field.name) must be a string")
        case .notString(let at): return YAMLError(line: at, "\(path).\(field.name) must be a UTF-8 string")
        }
    }
}
