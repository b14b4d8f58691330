import Foundation
import KeyrackYAML
import KeyrackNames

// The host manifest's YAML shape (docs/formats.md), read strictly and written in a fixed order so
// two writes of the same manifest are byte-identical.

extension HostManifest {
    /// `recipients:`: the backup recipients, in the file's order (null: none).
    static func decodeRecipients(_ node: YAMLNode) throws -> [BackupRecipient] {
        guard !isNull(node) else { return [] }
        guard case .sequence(let items, _) = node else { throw YAMLError(line: node.line, "manifest.recipients must be a list") }
        return try items.enumerated().map { i, item in
            var f = try YAMLFields(item, path: "recipients[\(i)]")
            let r = try field(item.line) {
                BackupRecipient(label: try RecipientLabel(try f.string("label")), via: try Via(parsing: try f.string("via")),
                                pubkey: try f.string("pubkey"), addedAt: try f.string("addedAt"))
            }
            try f.finish()
            return r
        }
    }

    /// `audit:`: the access log's checkpoint seed and, when the card signs the log, its key (null: neither).
    static func decodeAudit(_ node: YAMLNode) throws -> (seed: [UInt8], card: AuditCardKey?)? {
        guard !isNull(node) else { return nil }
        var f = try YAMLFields(node, path: "audit")
        let text = try f.string("checkpointSeed")
        var auditCard: AuditCardKey? = nil
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
        return ([UInt8](data), auditCard)
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

    /// The bytes of a `!!binary` scalar's text (secretNode's other half; os.direct values too):
    /// base64, line breaks and blanks between its characters allowed as YAML folds them. Nil when
    /// it is not base64.
    static func binaryValue(_ text: String) -> [UInt8]? {
        Data(base64Encoded: text, options: .ignoreUnknownCharacters).map { [UInt8]($0) }
    }

    static func decodeOwner(_ node: YAMLNode) throws -> OwnerRecord {
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
    static func decodeOptions(_ node: YAMLNode?, path: @autoclosure () -> String) throws -> [String: String] {
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

    static func isNull(_ node: YAMLNode) -> Bool {
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
