import Foundation
import KeyrackYAML
import KeyrackNames

/// Reads the entries of a manifest's `keys:` straight from libyaml's events, one `KeyEntry` at
/// a time: a manifest of 10 000 keys is 130 000 scalars here, and a tree of them, a copy of
/// each as an array, then a String and a lookup by name per field was most of `unlock`.
///
/// An entry's fields come in any order, so they are first gathered (each scalar's bytes into one
/// buffer reused from entry to entry), then checked in the order the manifest's rules have
/// always been checked in: slug, env and org against it, vault, exid, mech, maxDuration, options,
/// addr, cacert, sendTo, createdAt, updatedAt, and last an unknown field. Each refusal names the
/// line and the field as it did when the entry was a tree (HostManifestCodecTests).
struct KeyEntryReader {
    /// The fields a key may have, in the order they are checked.
    enum Field: Int, CaseIterable {
        case slug, env, org, vault, exid, mech, maxDuration, options, addr, cacert, sendTo, createdAt, updatedAt

        static let names: [[UInt8]] = ["slug", "env", "org", "vault", "exid", "mech", "maxDuration", "options", "addr", "cacert",
                                       "sendTo", "createdAt", "updatedAt"].map { Array($0.utf8) }

        /// By length, then bytes (an array per key and `==` between arrays cost more than the rest).
        init?(named name: UnsafeBufferPointer<UInt8>) {
            for (i, candidate) in Field.names.enumerated() where candidate.count == name.count {
                if candidate.withUnsafeBufferPointer({ memcmp($0.baseAddress!, name.baseAddress!, name.count) == 0 }) {
                    self.init(rawValue: i)
                    return
                }
            }
            return nil
        }

        var name: String { String(decoding: Field.names[rawValue], as: UTF8.self) }
    }

    /// One scalar field as read: where its text is in `text`, or why it has none.
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

    private var values = [Value](repeating: .absent, count: Field.allCases.count)
    private var text: [UInt8] = []
    /// The reader's input when scalars stay in it until the read ends (`YAMLReader.stableInput`):
    /// then `.text` positions are in it and nothing is copied to `text`.
    private var input: UnsafeBufferPointer<UInt8>?
    private var options: YAMLNode?
    private var sendTo: YAMLNode?
    /// A bit per field read so far (a set per entry was an allocation and a hash per field).
    private var seen: UInt16 = 0
    /// Fields this keyrack does not know, by name and line, in the file's order.
    private var unknown: [(name: [UInt8], line: Int)] = []
    /// The entry's key under `keys:` and its line; the line of its mapping.
    private(set) var key: [UInt8] = []
    /// Whether the last entry's slug is `Slug(utf8:)` of `key` (so a reader of the same bytes
    /// elsewhere may take it instead of parsing them again).
    private(set) var slugIsParsedKey = false
    private var keyLine = 0
    private var line = 0

    /// Reads the entry whose key `reader.nextKey()` has just read, the reader at its value.
    mutating func read(_ reader: inout YAMLReader) throws -> KeyEntry {
        key.removeAll(keepingCapacity: true)
        key.append(contentsOf: reader.keyBytes)
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

    /// `keys.KEY`, as refusals name the entry.
    private var path: String { "keys.\(String(decoding: key, as: UTF8.self).prefix(80))" }

    /// Reads the entry's mapping, refusing a field met twice as the tree reader did.
    private mutating func gather(_ reader: inout YAMLReader) throws {
        for i in values.indices { values[i] = .absent }
        text.removeAll(keepingCapacity: true)
        options = nil
        sendTo = nil
        seen = 0
        unknown.removeAll(keepingCapacity: true)
        input = reader.stableInput
        try reader.enterMapping()
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

    /// The value at the reader, copied out of libyaml's memory when it is a string.
    private mutating func scalar(_ reader: inout YAMLReader) throws -> Value {
        guard reader.kind == .scalar else { return .notScalar(line: try YAMLParser.node(&reader).line) }
        let value: Value
        if reader.scalarIsNull {
            value = .null
        } else if reader.scalarTag == .binary || !reader.scalarIsUTF8 {
            value = .notString(line: reader.line)
        } else if let input {
            let bytes = reader.scalarBytes
            value = .text(start: bytes.baseAddress.map { $0 - input.baseAddress! } ?? 0, count: bytes.count)
        } else {
            let bytes = reader.scalarBytes
            value = .text(start: text.count, count: bytes.count)
            text.append(contentsOf: bytes)
        }
        try reader.advance()
        return value
    }

    // MARK: checking, in the rules' order

    private mutating func build() throws -> KeyEntry {
        let slug = try slugField()
        guard try matches(.env, slug.env), try matches(.org, slug.org) else {
            throw YAMLError(line: keyLine, "\(path): env and org must match the slug")
        }
        let vault = try parse(.vault, KeyEntryReader.vaults) { try Vault(parsing: $0) }
        let exid = try optionalString(.exid)
        let mech = try parse(.mech, KeyEntryReader.mechanisms) { try Mechanism(parsing: $0) }
        let maxDuration = try optionalString(.maxDuration).map(Duration.init)
        let options = try HostManifest.decodeOptions(options, path: path + ".options")
        let addr = try optionalString(.addr), cacert = try optionalString(.cacert)
        let sendTo = try HostManifest.decodeSendTo(sendTo, path: path + ".sendTo")
        let createdAt = try stamp(.createdAt, 0), updatedAt = try stamp(.updatedAt, 1)
        // Keys set together share all but their slug: one box for the run of them. Compared
        // field by field in place (a Fields made and copied to compare cost more than the box).
        if let last = lastDetails, last.fields.createdAt == createdAt, last.fields.updatedAt == updatedAt, last.fields.exid == exid,
           last.fields.maxDuration == maxDuration, last.fields.options == options, last.fields.addr == addr, last.fields.cacert == cacert,
           last.fields.sendTo == KeyEntry.Fields.normalized(sendTo) {
            return KeyEntry(slug: slug, vault: vault, mech: mech, details: last)
        }
        let details = KeyEntry.Details(KeyEntry.Fields(exid: exid, maxDuration: maxDuration, options: options, addr: addr, cacert: cacert,
                                                       sendTo: sendTo, createdAt: createdAt, updatedAt: updatedAt))
        lastDetails = details
        return KeyEntry(slug: slug, vault: vault, mech: mech, details: details)
    }

    /// The last entry's other fields, given to the next entry when its are the same.
    private var lastDetails: KeyEntry.Details?

    /// The last createdAt and updatedAt made, reused while the next entry's are the same text (a
    /// manifest's keys share a handful of timestamps, and a String of 20 bytes is an allocation).
    private var lastStamps: [(bytes: [UInt8], text: String)] = [([], ""), ([], "")]

    /// A required string field, as `string(_:)` makes it, through `lastStamps[slot]`.
    private mutating func stamp(_ field: Field, _ slot: Int) throws -> String {
        let (start, count) = try textRange(field)
        let last = lastStamps[slot]
        let made: (bytes: [UInt8], text: String)? = withBytes(start, count) { bytes in
            if last.bytes.withUnsafeBufferPointer({ KeyEntryReader.equal($0, bytes) }) { return nil }
            return (Array(bytes), String(decoding: bytes, as: UTF8.self))
        }
        guard let made else { return last.text }
        lastStamps[slot] = made
        return made.text
    }

    /// The slug field: a valid slug, the very text of the entry's key.
    private mutating func slugField() throws -> Slug {
        slugIsParsedKey = false
        let (start, count) = try textRange(.slug)
        let parsed = withBytes(start, count) { Slug(utf8: $0) }
        // Invalid: the String rules say which part is wrong and how.
        let slug = try parsed ?? Slug(validating: withBytes(start, count) { String(decoding: $0, as: UTF8.self) })
        guard withBytes(start, count, { bytes in key.withUnsafeBufferPointer { KeyEntryReader.equal(bytes, $0) } }) else {
            throw YAMLError(line: keyLine, "\(path) holds slug '\(slug)'; the two must match")
        }
        slugIsParsedKey = parsed != nil
        return slug
    }

    private func matches(_ field: Field, _ part: String) throws -> Bool {
        let (start, count) = try textRange(field)
        var part = part
        return part.withUTF8 { p in withBytes(start, count) { KeyEntryReader.equal($0, p) } }
    }

    /// An enum field read by its raw value: matched on the bytes against `names` (each case's
    /// raw value as bytes), the String made only for the refusal.
    private func parse<T>(_ field: Field, _ names: [(T, [UInt8])], refusing: (String) throws -> T) throws -> T {
        let (start, count) = try textRange(field)
        let match: T? = withBytes(start, count) { bytes in names.first(where: { $0.1.withUnsafeBufferPointer { KeyEntryReader.equal($0, bytes) } })?.0 }
        if let match { return match }
        return try refusing(withBytes(start, count) { String(decoding: $0, as: UTF8.self) })
    }

    private static let vaults = Vault.allCases.map { ($0, Array($0.rawValue.utf8)) }
    private static let mechanisms = Mechanism.allCases.map { ($0, Array($0.rawValue.utf8)) }

    /// Byte equality with memcmp (the generic comparison walked an iterator per byte).
    private static func equal(_ p: UnsafeBufferPointer<UInt8>, _ q: UnsafeBufferPointer<UInt8>) -> Bool {
        p.count == q.count && (p.count == 0 || memcmp(p.baseAddress!, q.baseAddress!, p.count) == 0)
    }

    /// The bytes of a text field: in the input while it stays in place for the whole read (the
    /// subset path: copying every scalar out of it was a tenth of reading an entry), else in `text`.
    private func withBytes<R>(_ start: Int, _ count: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if let input { return try body(UnsafeBufferPointer(rebasing: input[start..<start + count])) }
        return try text.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[start..<start + count])) }
    }

    private func string(_ field: Field) throws -> String {
        let (start, count) = try textRange(field)
        return withBytes(start, count) { String(decoding: $0, as: UTF8.self) }
    }

    private func optionalString(_ field: Field) throws -> String? {
        switch values[field.rawValue] {
        case .absent, .null: return nil
        default: return try string(field)
        }
    }

    /// Where a required string field's text is; its refusal when it has none.
    private func textRange(_ field: Field) throws -> (Int, Int) {
        switch values[field.rawValue] {
        case .text(let start, let count): return (start, count)
        case .absent, .null: throw YAMLError(line: line, "\(path).\(field.name) is missing")
        case .notScalar(let at): throw YAMLError(line: at, "\(path).\(field.name) must be a string")
        case .notString(let at): throw YAMLError(line: at, "\(path).\(field.name) must be a UTF-8 string")
        }
    }
}
