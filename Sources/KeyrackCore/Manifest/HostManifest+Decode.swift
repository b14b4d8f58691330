import Foundation
import KeyrackYAML
import KeyrackNames

// Reading a decrypted host manifest (docs/formats.md) from libyaml's events. The small sections
// (owner, recipients, openbao, audit) are read as YAMLNode trees by the decoders beside the
// encoder (HostManifest+YAML.swift); `keys:` and `secrets:`, which grow with the owner's keys,
// are decoded entry by entry as the events come (KeyEntryReader), with no tree in between.

extension HostManifest {
    /// Reads a decrypted manifest. Refuses a newer `version`, unknown fields, and any field whose
    /// value breaks its rule (owner name, slug, vault, …), naming the line.
    ///
    /// What keyrack itself wrote is read without libyaml (`YAMLSubsetScanner`, a tenth of the
    /// cost); anything else, and any refusal, is libyaml's (`path` picks one reader for tests).
    public static func decode(yaml bytes: [UInt8], path: YAMLReader.Path = .subsetFirst) throws -> HostManifest {
        try decode(yaml: bytes, path: path, split: .large)
    }

    /// The same, `split` saying when `keys:` is read on two threads (KeysHalf; tests and the
    /// fuzz target compare `.always` with `.never`).
    static func decode(yaml bytes: [UInt8], path: YAMLReader.Path = .subsetFirst, split: KeysHalf.Split) throws -> HostManifest {
        try decodeReporting(yaml: bytes, path: path, split: split).manifest
    }

    /// The same, and whether the decoder took a second thread's half of `keys:`, and the
    /// `secrets:` it read after it (tests).
    static func decodeReporting(yaml bytes: [UInt8], path: YAMLReader.Path = .subsetFirst, split: KeysHalf.Split) throws
        -> (manifest: HostManifest, halfTaken: Bool, secretsTaken: Bool) {
        try YAMLReader.read(bytes, path: path) { reader in
            var decoder = ManifestDecoder()
            decoder.split = split
            return (try decoder.read(&reader), decoder.halfTaken, decoder.secretsTaken)
        }
    }
}

/// The top-level mapping, in the file's order. The version is checked as soon as it is read (it
/// comes first in every manifest keyrack writes), the rest of what the rules ask of the whole
/// (a missing owner or version, an unknown field) once the mapping is read.
struct ManifestDecoder {
    enum Section: Int, CaseIterable {
        case version, owner, recipients, keys, secrets, openbao, audit

        static let names: [[UInt8]] = ["version", "owner", "recipients", "keys", "secrets", "openbao", "audit"].map { Array($0.utf8) }

        init?(named name: [UInt8]) {
            guard let i = Section.names.firstIndex(of: name) else { return nil }
            self.init(rawValue: i)
        }

        /// Its bit in `seen` (seven sections, eight bits).
        var bit: UInt8 { 1 << UInt8(rawValue) }
    }

    /// The sections read, one bit each by raw value: a `Set<Section>` made the runtime scan
    /// every protocol conformance of the binary once per process for `Section: Hashable`, a
    /// tenth of a millisecond on every unlock (issue 32).
    var seen: UInt8 = 0
    /// The first field this keyrack does not know, reported after the rest (as it always was).
    var unknown: (name: String, line: Int)?
    /// The names of the unknown fields met so far (a handful at most: each is refused).
    var unknownNames: [[UInt8]] = []
    var version: Int?
    var owner: OwnerRecord?
    var recipients: [BackupRecipient] = []
    var keys: [Slug: KeyEntry] = [:]
    /// `keys` in slug order when they were written in it (`readKeys`).
    var sortedKeys: [KeyEntry]?
    var secrets: [Slug: [UInt8]] = [:]
    /// `keys:` in slug order while they come so (`readKeys`), in the file's order.
    var ordered: [KeyEntry] = []
    var inOrder = true
    /// The slugs of `keys:` in the file's order with the bytes each was parsed from, so the same
    /// key under `secrets:` (written in the same order) is not parsed again.
    /// While `inOrder`, `slugs` is empty and slug `i` is `ordered[i].slug` (the same, without
    /// a copy of each).
    var slugs: [Slug] = []
    var slugTexts: [UInt8] = []
    var slugEnds: [Int] = []
    var openbao: OpenBaoSettings?
    var audit: (seed: [UInt8], card: AuditCardKey?)?
    /// Whether `keys:` may be read on two threads, and whether it was.
    var split = KeysHalf.Split.large
    var halfTaken = false, secretsTaken = false
    /// The half taken, while the section after `keys:` is yet to come: when it is `secrets:`,
    /// the half's thread has read it too (KeysHalf).
    var secretsHalf: KeysHalf?
    /// The half started, joined before `read` returns however it does.
    var startedHalf: KeysHalf?

    mutating func read(_ reader: inout YAMLReader) throws -> HostManifest {
        guard reader.kind == .mappingStart else {
            let root = try YAMLParser.node(&reader)
            throw YAMLError(line: root.line, "a host manifest must be a mapping with version, owner and keys")
        }
        let line = reader.line
        // A half's thread reads the input in place: it ends before the input may go.
        defer { startedHalf?.join() }
        try reader.enterMapping()
        while try reader.nextKey() {
            // Only the section right after `keys:` can be the one a half read on into.
            let half = secretsHalf
            secretsHalf = nil
            guard let section = Section(named: reader.key) else {
                // Known or not, a field twice is the reader's refusal, not an unknown field.
                guard !unknownNames.contains(reader.key) else { throw YAMLReader.duplicateKey(reader.key, line: reader.keyLine) }
                unknownNames.append(reader.key)
                if unknown == nil { unknown = (String(decoding: reader.key, as: UTF8.self), reader.keyLine) }
                _ = try YAMLParser.node(&reader)
                continue
            }
            guard seen & section.bit == 0 else { throw YAMLReader.duplicateKey(reader.key, line: reader.keyLine) }
            seen |= section.bit
            if section == .secrets, let half, half.takeSecrets(into: &secrets, reader: &reader) {
                secretsTaken = true
                continue
            }
            try read(section, &reader)
        }
        guard let version else { throw YAMLError(line: line, "manifest.version is missing") }
        guard let owner else { throw YAMLError(line: line, "manifest.owner is missing") }
        if let unknown { throw YAMLError(line: unknown.line, "unknown field '\(unknown.name.prefix(60))' in manifest") }
        var manifest = HostManifest(owner: owner, recipients: recipients, keys: keys, secrets: secrets)
        manifest.version = version
        manifest.sortedKeys = SortedKeys(sortedKeys)
        manifest.openbao = openbao
        manifest.auditSeed = audit?.seed
        manifest.auditCard = audit?.card
        return manifest
    }

    private mutating func read(_ section: Section, _ reader: inout YAMLReader) throws {
        switch section {
        case .version:
            let n = try YAMLFields.int(try YAMLParser.node(&reader), path: "manifest.version")
            guard n <= HostManifest.currentVersion else {
                throw YAMLError.newerVersion("manifest", version: n, reads: HostManifest.currentVersion, fix: "upgrade keyrack; nothing was changed")
            }
            guard n >= 1 else { throw YAMLError(line: 1, "manifest version \(n) is not valid") }
            version = n
        case .owner: owner = try HostManifest.decodeOwner(try YAMLParser.node(&reader))
        case .recipients: recipients = try HostManifest.decodeRecipients(try YAMLParser.node(&reader))
        case .keys: try readKeys(&reader)
        case .secrets: try readSecrets(&reader)
        case .openbao: openbao = try HostManifest.decodeOpenBao(try YAMLParser.node(&reader))
        case .audit: audit = try HostManifest.decodeAudit(try YAMLParser.node(&reader))
        }
    }

    /// Enters a section that must be a mapping; false for a null one (read, and nothing in it).
    private func enter(_ name: String, _ reader: inout YAMLReader) throws -> Bool {
        guard try isMapping(name, &reader) else { return false }
        try reader.enterMapping()
        return true
    }

    /// Whether the section at the reader is a mapping (not entered); false for a null one (read,
    /// and nothing in it); refused when it is anything else.
    private func isMapping(_ name: String, _ reader: inout YAMLReader) throws -> Bool {
        guard reader.kind == .mappingStart else {
            let node = try YAMLParser.node(&reader)
            guard HostManifest.isNull(node) else { throw YAMLError(line: node.line, "manifest.\(name) must be a mapping") }
            return false
        }
        return true
    }

    private mutating func readKeys(_ reader: inout YAMLReader) throws {
        guard try isMapping("keys", &reader) else { return }
        // A large section's second half is read on another thread meanwhile (KeysHalf), and
        // taken when this loop gets to where it starts; else this loop reads on by itself.
        var half = KeysHalf.start(reader, split: split)
        startedHalf = half
        try reader.enterMapping()
        var entries = KeyEntryReader()
        // While every key comes after the one before it in byte order (slug order: keyrack
        // writes them so), none can be a duplicate and the entries wait in `ordered`: the table
        // is then built once its size is known (no doublings), and the order is kept for
        // `keys(env:key:)`. At the first key out of order the table takes them, and each
        // entry after is checked as it comes, so the refusals and their order stay the same.
        while true {
            if let seam = half, reader.isAt(seam.fork) {
                half = nil
                if inOrder, seam.taken(into: &ordered, &slugTexts, &slugEnds, reader: &reader) {
                    halfTaken = true
                    secretsHalf = seam
                    break
                }
            }
            guard try reader.nextKey() else { break }
            let keyLine = reader.keyLine
            let entry = try entries.read(&reader)
            if entries.slugIsParsedKey {
                slugTexts.append(contentsOf: entries.keyBytes)
                slugEnds.append(slugTexts.count)
                if inOrder, lastSlugAscends() {
                    ordered.append(consume entry)
                    continue
                }
                if !inOrder { slugs.append(entry.slug) }
            }
            if inOrder {
                inOrder = false
                // The slugs met so far, now kept apart: `ordered`'s, and this entry's.
                slugs = ordered.map(\.slug)
                if entries.slugIsParsedKey { slugs.append(entry.slug) }
                keys.reserveCapacity(ordered.count + 1)
                for i in ordered.indices { keys[ordered[i].slug] = ordered[i] }
                ordered = []
            }
            // An entry's slug is its key's text (KeyEntryReader checks), so a slug met twice
            // is a key written twice.
            guard keys.updateValue(entry, forKey: entry.slug) == nil else {
                throw YAMLReader.duplicateKey(Array(entry.slug.description.utf8), line: keyLine)
            }
        }
        if inOrder {
            keys.reserveCapacity(ordered.count)
            for i in ordered.indices { keys[ordered[i].slug] = ordered[i] }
            sortedKeys = ordered
        }
    }

    /// A half's entries (KeysHalf, on its thread): from the reader's key to the end of `keys:`,
    /// read as `readKeys` reads them while they come in slug order. False at the first entry
    /// that does not (the decoder reads on from the seam by itself then), as at any refusal.
    mutating func readHalf(_ reader: inout YAMLReader) throws -> Bool {
        var entries = KeyEntryReader()
        while try reader.nextKey() {
            let entry = try entries.read(&reader)
            guard entries.slugIsParsedKey else { return false }
            slugTexts.append(contentsOf: entries.keyBytes)
            slugEnds.append(slugTexts.count)
            guard lastSlugAscends() else { return false }
            ordered.append(consume entry)
        }
        return true
    }

    /// Whether the last slug text in `slugTexts` comes after the one before it in byte order,
    /// which is slug order (`Slug.<` compares the descriptions' bytes); true for the first.
    ///
    /// `mutating` (as `secretSlug` and `knownSlug`) though it changes nothing: `self` is then
    /// passed by reference, where a non-mutating method is passed a copy of the whole decoder.
    private mutating func lastSlugAscends() -> Bool {
        let n = slugEnds.count
        guard n >= 2 else { return true }
        let a0 = n >= 3 ? slugEnds[n - 3] : 0, a1 = slugEnds[n - 2], b1 = slugEnds[n - 1]
        return slugTexts.withUnsafeBufferPointer { t in
            let a = a1 - a0, b = b1 - a1
            let c = memcmp(t.baseAddress! + a0, t.baseAddress! + a1, min(a, b))
            return c != 0 ? c < 0 : a < b
        }
    }

    mutating func readSecrets(_ reader: inout YAMLReader) throws {
        guard try isMapping("secrets", &reader) else { return }
        // A value per key, as keyrack writes it: one table, not fourteen doublings.
        secrets.reserveCapacity(keys.count)
        var next = 0
        // `KEY: value` lines come at once (as the events would: the slug, then the value); a
        // `!!binary` value, and any secret libyaml reads, one event at a time below.
        try reader.enterMapping { pair in
            let slug = try secretSlug(pair.key, line: pair.line, next: &next)
            try store(Array(pair.value), for: slug, keyLine: pair.line)
        }
        while try reader.nextKey() {
            let keyLine = reader.keyLine
            let slug = try secretSlug(reader.keyBytes, line: keyLine, next: &next)
            guard reader.kind == .scalar else { throw YAMLError(line: reader.line, "secrets.\(slug) must be a string") }
            let value: [UInt8]
            if reader.scalarTag == .binary {
                guard let bytes = HostManifest.binaryValue(String(decoding: reader.scalarBytes, as: UTF8.self)) else {
                    throw YAMLError(line: reader.line, "secrets.\(slug) is not valid base64")
                }
                value = bytes
            } else {
                value = Array(reader.scalarBytes)
            }
            try reader.advance()
            try store(value, for: slug, keyLine: keyLine)
        }
    }

    /// The slug of a key under `secrets:`.
    private mutating func secretSlug(_ key: UnsafeBufferPointer<UInt8>, line: Int, next: inout Int) throws -> Slug {
        // Not quoted, unlike a bad slug under keys: in a hand-edited secrets section a "key" may
        // be a value that lost its indent or colon, and errors never carry values.
        guard let slug = knownSlug(key, from: &next) ?? parsedSlug(key) else {
            throw YAMLError(line: line, "a key under secrets: is not a slug ORG.ENV.KEY (not shown, as it may be a value)")
        }
        return slug
    }

    private mutating func store(_ value: [UInt8], for slug: Slug, keyLine: Int) throws {
        guard secrets.updateValue(value, forKey: slug) == nil else {
            throw YAMLReader.duplicateKey(Array(slug.description.utf8), line: keyLine)
        }
    }

    /// The slug `keys:` parsed from exactly `bytes`, looked for at `next` and the few entries
    /// after it (keys without a secret are skipped); nil when not there (then it is parsed).
    private mutating func knownSlug(_ bytes: UnsafeBufferPointer<UInt8>, from next: inout Int) -> Slug? {
        guard bytes.count > 0 else { return nil }
        var i = next
        while i < slugEnds.count, i < next + 8 {
            let start = i == 0 ? 0 : slugEnds[i - 1], count = slugEnds[i] - start
            let c = slugTexts.withUnsafeBufferPointer { memcmp($0.baseAddress! + start, bytes.baseAddress!, min(count, bytes.count)) }
            if c == 0, count == bytes.count {
                next = i + 1
                return inOrder ? ordered[i].slug : slugs[i]
            }
            // Keys in order, and this one after `bytes`: so is every one from here (a key
            // half's thread meets the secrets of the keys before its half so).
            if inOrder, c > 0 || (c == 0 && count > bytes.count) { return nil }
            i += 1
        }
        return nil
    }

    /// The last slug `parsedSlug` parsed, and its bytes up to the key (`ORG.ENV.`).
    private var lastParsed: Slug?
    private var lastParsedOrgEnv: [UInt8] = []

    /// `Slug(utf8: bytes)`, sharing the last parsed slug's org and env when `bytes` start with
    /// them (as KeyEntryReader does): the same slug, those two parts having passed their rules
    /// and split there. Secrets of keys the decoder has not read (a key half's thread) come so.
    private mutating func parsedSlug(_ bytes: UnsafeBufferPointer<UInt8>) -> Slug? {
        let n = lastParsedOrgEnv.count
        if let last = lastParsed, bytes.count > n,
           lastParsedOrgEnv.withUnsafeBufferPointer({ memcmp($0.baseAddress!, bytes.baseAddress!, n) == 0 }) {
            return Slug(orgAndEnvOf: last, keyUTF8: UnsafeBufferPointer(rebasing: bytes[n...]))
        }
        guard let slug = Slug(utf8: bytes) else { return nil }
        // Cut where Slug(utf8:) cut: at the first two dots.
        let first = bytes.firstIndex(of: UInt8(ascii: "."))!, second = bytes[(first + 1)...].firstIndex(of: UInt8(ascii: "."))!
        lastParsed = slug
        lastParsedOrgEnv = Array(bytes[...second])
        return slug
    }
}
