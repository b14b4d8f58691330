import Foundation
import KeyrackYAML
import KeyrackNames

// The host manifest's YAML shape (docs/formats.md), read strictly and written in a fixed order so
// two writes of the same manifest are byte-identical.

extension HostManifest {
    /// Reads a decrypted manifest. Refuses a newer `version`, unknown fields, and any field whose
    /// value breaks its rule (owner name, slug, vault, …), naming the line.
    public static func decode(yaml bytes: [UInt8]) throws -> HostManifest {
        let root = try YAMLParser.parse(bytes)
        guard case .mapping = root else { throw YAMLError(line: root.line, "a host manifest must be a mapping with version, owner and keys") }
        var top = try YAMLFields(root, path: "manifest")
        let version = try top.int("version")
        guard version <= currentVersion else {
            throw YAMLError.newerVersion("manifest", version: version, reads: currentVersion, fix: "upgrade keyrack; nothing was changed")
        }
        guard version >= 1 else { throw YAMLError(line: 1, "manifest version \(version) is not valid") }

        guard let ownerNode = top.node("owner") else { throw YAMLError(line: top.line, "manifest.owner is missing") }
        let owner = try decodeOwner(ownerNode)

        var recipients: [BackupRecipient] = []
        if let node = top.node("recipients"), !isNull(node) {
            guard case .sequence(let items, _) = node else { throw YAMLError(line: node.line, "manifest.recipients must be a list") }
            for (i, item) in items.enumerated() {
                var f = try YAMLFields(item, path: "recipients[\(i)]")
                let r = try field(item.line) {
                    BackupRecipient(label: try RecipientLabel(try f.string("label")), via: try Via(parsing: try f.string("via")),
                                    pubkey: try f.string("pubkey"), addedAt: try f.string("addedAt"))
                }
                try f.finish()
                recipients.append(r)
            }
        }

        var keys: [Slug: KeyEntry] = [:]
        if let node = top.node("keys"), !isNull(node) {
            guard case .mapping(let pairs, _) = node else { throw YAMLError(line: node.line, "manifest.keys must be a mapping") }
            for pair in pairs {
                let entry = try decodeKey(pair)
                keys[entry.slug] = entry
            }
        }

        var secrets: [Slug: [UInt8]] = [:]
        if let node = top.node("secrets"), !isNull(node) {
            guard case .mapping(let pairs, _) = node else { throw YAMLError(line: node.line, "manifest.secrets must be a mapping") }
            for pair in pairs {
                // Not quoted, unlike a bad slug under keys: in a hand-edited secrets section a
                // "key" may be a value that lost its indent or colon, and errors never carry values.
                guard let slug = try? Slug(validating: pair.key) else {
                    throw YAMLError(line: pair.keyLine, "a key under secrets: is not a slug ORG.ENV.KEY (not shown, as it may be a value)")
                }
                guard case .scalar(let scalar, let line) = pair.value else {
                    throw YAMLError(line: pair.value.line, "secrets.\(pair.key) must be a string")
                }
                if scalar.tag == YAMLParser.binaryTag {
                    guard let data = Data(base64Encoded: scalar.text, options: .ignoreUnknownCharacters) else {
                        throw YAMLError(line: line, "secrets.\(pair.key) is not valid base64")
                    }
                    secrets[slug] = [UInt8](data)
                } else {
                    secrets[slug] = scalar.bytes
                }
            }
        }
        let openbao = try top.node("openbao").map(decodeOpenBao)
        var auditSeed: [UInt8]? = nil
        var auditCard: AuditCardKey? = nil
        if let node = top.node("audit"), !isNull(node) {
            var f = try YAMLFields(node, path: "audit")
            let text = try f.string("checkpointSeed")
            if let slot = try f.optionalString("cardSlot") {
                let hex = try f.string("cardKey")
                let serial = try f.optionalString("cardSerial").map { s throws -> UInt32 in
                    guard let n = UInt32(s) else { throw YAMLError(line: node.line, "audit.cardSerial is not a serial number") }
                    return n
                }
                guard let key = HostManifest.unhex(hex), key.count == 65 else {
                    throw YAMLError(line: node.line, "audit.cardKey is not a P-256 point in hex (130 digits)")
                }
                auditCard = AuditCardKey(slot: slot, serial: serial, publicKey: key)
                if slot == AuditCardKey.tpmSlot {
                    func blob(_ name: String) throws -> [UInt8] {
                        guard let data = Data(base64Encoded: try f.string(name)), !data.isEmpty else {
                            throw YAMLError(line: node.line, "audit.\(name) is not base64")
                        }
                        return [UInt8](data)
                    }
                    let pin = try f.optionalString("tpmPIN")
                    guard pin == nil || pin == "true" || pin == "false" else { throw YAMLError(line: node.line, "audit.tpmPIN is neither true nor false") }
                    auditCard?.tpm = AuditTPMKey(publicBlob: try blob("tpmPublic"), privateBlob: try blob("tpmPrivate"),
                                                 parentName: try blob("tpmParent"), hasPIN: pin == "true")
                }
            }
            try f.finish()
            guard let data = Data(base64Encoded: text), data.count == 32 else {
                throw YAMLError(line: node.line, "audit.checkpointSeed is not 32 bytes of base64")
            }
            auditSeed = [UInt8](data)
        }
        try top.finish()
        var manifest = HostManifest(owner: owner, recipients: recipients, keys: keys, secrets: secrets)
        manifest.version = version
        manifest.openbao = openbao
        manifest.auditSeed = auditSeed
        manifest.auditCard = auditCard
        return manifest
    }

    /// Writes the manifest as YAML: fixed field order, keys and secrets sorted by slug.
    public func encodeYAML() throws -> [UInt8] {
        var ownerPairs: [(String, YAMLNode)] = [
            ("name", .string(owner.name.value)),
            ("via", .string(owner.via.rawValue)),
            ("pubkey", .string(owner.pubkey)),
        ]
        if let y = owner.yubikey {
            ownerPairs.append(("yubikey", .map([
                ("serial", .int(Int(y.serial))), ("slot", .string(y.slot)),
                ("pinPolicy", .string(y.pinPolicy)), ("touchPolicy", .string(y.touchPolicy)),
            ])))
        }
        if let uid = owner.uid { ownerPairs.append(("uid", .int(Int(uid)))) }
        if owner.sandboxed { ownerPairs.append(("sandboxed", .bool(true))) }

        let recipientNodes: [YAMLNode] = recipients.map {
            .map([("label", .string($0.label.value)), ("via", .string($0.via.rawValue)),
                  ("pubkey", .string($0.pubkey)), ("addedAt", .string($0.addedAt))])
        }
        let keyPairs: [(String, YAMLNode)] = keys.values.sorted { $0.slug < $1.slug }.map { e in
            var fields: [(String, YAMLNode)] = [
                ("slug", .string(e.slug.description)), ("env", .string(e.env.value)), ("org", .string(e.org.value)),
                ("vault", .string(e.vault.rawValue)), ("exid", e.exid.map(YAMLNode.string) ?? .null),
                ("mech", .string(e.mech.rawValue)),
            ]
            if let d = e.maxDuration { fields.append(("maxDuration", .string(d.text))) }
            if let a = e.addr { fields.append(("addr", .string(a))) }
            if let c = e.cacert { fields.append(("cacert", .string(c))) }
            if !e.sendTo.isEmpty { fields.append(("sendTo", .list(e.sendTo.map { .string($0.description) }))) }
            if !e.options.isEmpty { fields.append(("options", .map(e.options.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))) }
            fields += [("createdAt", .string(e.createdAt)), ("updatedAt", .string(e.updatedAt))]
            return (e.slug.description, .map(fields))
        }
        let secretPairs: [(String, YAMLNode)] = secrets.sorted { $0.key < $1.key }.map { slug, value in
            (slug.description, HostManifest.secretNode(value))
        }
        var top: [(String, YAMLNode)] = [
            ("version", .int(version)),
            ("owner", .map(ownerPairs)),
            ("recipients", .list(recipientNodes)),
            ("keys", .map(keyPairs)),
            ("secrets", .map(secretPairs)),
        ]
        // Only when set, so a manifest without OpenBao stays byte-identical to what it was.
        if let openbao, !openbao.isEmpty { top.append(("openbao", HostManifest.encodeOpenBao(openbao))) }
        if let auditSeed {
            var audit: [(String, YAMLNode)] = [("checkpointSeed", .string(Data(auditSeed).base64EncodedString()))]
            if let card = auditCard {
                audit.append(("cardSlot", .string(card.slot)))
                if let serial = card.serial { audit.append(("cardSerial", .string(String(serial)))) }
                audit.append(("cardKey", .string(card.publicKey.map { String(format: "%02x", $0) }.joined())))
                if let tpm = card.tpm {
                    audit.append(("tpmPublic", .string(Data(tpm.publicBlob).base64EncodedString())))
                    audit.append(("tpmPrivate", .string(Data(tpm.privateBlob).base64EncodedString())))
                    audit.append(("tpmParent", .string(Data(tpm.parentName).base64EncodedString())))
                    audit.append(("tpmPIN", .string(tpm.hasPIN ? "true" : "false")))
                }
            }
            top.append(("audit", .map(audit)))
        }
        return try YAMLEmitter.emit(.map(top))
    }

    /// A secret as a YAML scalar: UTF-8 text as a string (libyaml escapes whatever needs it),
    /// anything else as `!!binary` base64, so every byte string survives the round trip.
    static func secretNode(_ value: [UInt8]) -> YAMLNode {
        if String(validating: value, as: UTF8.self) != nil {
            return .scalar(YAMLScalar(bytes: value, style: .quoted), line: 0)
        }
        return .scalar(YAMLScalar(Data(value).base64EncodedString(), style: .plain, tag: YAMLParser.binaryTag), line: 0)
    }

    private static func decodeOwner(_ node: YAMLNode) throws -> OwnerRecord {
        var f = try YAMLFields(node, path: "owner")
        let owner = try field(node.line) {
            OwnerRecord(name: try OwnerName(try f.string("name")), via: try Via(parsing: try f.string("via")), pubkey: try f.string("pubkey"))
        }
        var record = owner
        if let y = f.node("yubikey"), !isNull(y) {
            var yf = try YAMLFields(y, path: "owner.yubikey")
            let serial = try yf.int("serial")
            guard let s = UInt32(exactly: serial) else { throw YAMLError(line: y.line, "owner.yubikey.serial is out of range") }
            record.yubikey = YubiKeySlot(serial: s, slot: try yf.string("slot"), pinPolicy: try yf.string("pinPolicy"), touchPolicy: try yf.string("touchPolicy"))
            try yf.finish()
        }
        if f.keys.contains("uid") {
            let uid = try f.int("uid")
            guard let u = UInt32(exactly: uid) else { throw YAMLError(line: node.line, "owner.uid is out of range") }
            record.uid = u
        }
        if f.keys.contains("sandboxed") { record.sandboxed = try f.bool("sandboxed") }
        try f.finish()
        return record
    }

    private static func decodeKey(_ pair: YAMLPair) throws -> KeyEntry {
        // Made once per key; the paths of `options` and `sendTo` only for a key that has them.
        let path = "keys.\(pair.key.prefix(80))"
        var f = try YAMLFields(pair.value, path: path)
        let entry = try field(pair.keyLine) { () throws -> KeyEntry in
            let text = try f.string("slug")
            let slug = try Slug(validating: text)
            // A valid slug's description is its text, so the texts are compared as they are.
            guard text == pair.key else {
                throw YAMLError(line: pair.keyLine, "keys.\(pair.key.prefix(80)) holds slug '\(slug)'; the two must match")
            }
            guard try f.string("env") == slug.env, try f.string("org") == slug.org else {
                throw YAMLError(line: pair.keyLine, "keys.\(pair.key.prefix(80)): env and org must match the slug")
            }
            return KeyEntry(slug: slug, vault: try Vault(parsing: try f.string("vault")), exid: try f.optionalString("exid"),
                            mech: try Mechanism(parsing: try f.string("mech")),
                            maxDuration: try f.optionalString("maxDuration").map(Duration.init),
                            options: try decodeOptions(f.node("options"), path: path + ".options"),
                            addr: try f.optionalString("addr"), cacert: try f.optionalString("cacert"),
                            sendTo: try decodeSendTo(f.node("sendTo"), path: path + ".sendTo"),
                            createdAt: try f.string("createdAt"), updatedAt: try f.string("updatedAt"))
        }
        try f.finish()
        return entry
    }

    /// `sendTo:` of a key: a list of destinations, each under the rule `set --send-to` applies,
    /// so a hand edit cannot widen where a value goes past what `set` would accept.
    static func decodeSendTo(_ node: YAMLNode?, path: @autoclosure () -> String) throws -> [Destination] {
        guard let node, !isNull(node) else { return [] }
        let path = path()
        guard case .sequence(let items, _) = node else { throw YAMLError(line: node.line, "\(path) must be a list of HOST[:PORT]") }
        return try items.map { item in
            guard case .scalar(let scalar, let line) = item, let text = String(validating: scalar.bytes, as: UTF8.self) else {
                throw YAMLError(line: item.line, "\(path) must be a list of HOST[:PORT]")
            }
            guard let destination = Destination(text) else { throw YAMLError(line: line, Destination.message(text)) }
            return destination
        }
    }

    /// `options:` of a key: a mapping of names to strings, each checked by `KeyOptions`.
    private static func decodeOptions(_ node: YAMLNode?, path: @autoclosure () -> String) throws -> [String: String] {
        guard let node, !isNull(node) else { return [:] }
        let path = path()
        var f = try YAMLFields(node, path: path)
        var options: [String: String] = [:]
        for name in f.keys {
            guard let value = try f.optionalString(name) else { continue }
            options[name] = value
        }
        try f.finish()
        try field(node.line) { try KeyOptions.check(options) }
        return options
    }

    private static func isNull(_ node: YAMLNode) -> Bool {
        if case .scalar(let s, _) = node { return s.isNull }
        return false
    }

    /// Turns a rule violation (`KeyrackError.usage` from a name type) into a YAML error with a line.
    static func field<T>(_ line: Int, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as KeyrackError {
            throw YAMLError(line: line, error.message)
        }
    }
}

extension HostManifest {
    /// Lower-case hex to bytes (the card key of `audit.cardKey`); nil for anything else.
    static func unhex(_ text: String) -> [UInt8]? {
        let u = Array(text.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < u.count {
            guard let b = UInt8(String(decoding: u[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(b); i += 2
        }
        return out
    }
}
