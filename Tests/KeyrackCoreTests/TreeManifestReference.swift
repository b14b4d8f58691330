import Foundation
@testable import KeyrackCore
import KeyrackYAML
import KeyrackNames

/// The host manifest's decoder as it was before it read `keys:` and `secrets:` from libyaml's
/// events (main at 8239c93): the whole document as a YAMLNode tree, then each field looked up by
/// name. ManifestStreamingTests holds the streaming decoder to it: the same manifest from the
/// same bytes, the same refusal (line and words) of the same damage. Kept verbatim but for the
/// names of the section decoders it calls, which are the decoder's own.
enum TreeManifestReference {
    /// Reads a decrypted manifest. Refuses a newer `version`, unknown fields, and any field whose
    /// value breaks its rule (owner name, slug, vault, …), naming the line.
    static func decode(yaml bytes: [UInt8]) throws -> HostManifest {
        let root = try YAMLParser.parse(bytes)
        guard case .mapping = root else { throw YAMLError(line: root.line, "a host manifest must be a mapping with version, owner and keys") }
        var top = try YAMLFields(root, path: "manifest")
        let version = try top.int("version")
        guard version <= HostManifest.currentVersion else {
            throw YAMLError.newerVersion("manifest", version: version, reads: HostManifest.currentVersion, fix: "upgrade keyrack; nothing was changed")
        }
        guard version >= 1 else { throw YAMLError(line: 1, "manifest version \(version) is not valid") }

        guard let ownerNode = top.node("owner") else { throw YAMLError(line: top.line, "manifest.owner is missing") }
        let owner = try HostManifest.decodeOwner(ownerNode)

        var recipients: [BackupRecipient] = []
        if let node = top.node("recipients"), !HostManifest.isNull(node) {
            guard case .sequence(let items, _) = node else { throw YAMLError(line: node.line, "manifest.recipients must be a list") }
            for (i, item) in items.enumerated() {
                var f = try YAMLFields(item, path: "recipients[\(i)]")
                let r = try HostManifest.field(item.line) {
                    BackupRecipient(label: try RecipientLabel(try f.string("label")), via: try Via(parsing: try f.string("via")),
                                    pubkey: try f.string("pubkey"), addedAt: try f.string("addedAt"))
                }
                try f.finish()
                recipients.append(r)
            }
        }

        var keys: [Slug: KeyEntry] = [:]
        if let node = top.node("keys"), !HostManifest.isNull(node) {
            guard case .mapping(let pairs, _) = node else { throw YAMLError(line: node.line, "manifest.keys must be a mapping") }
            for pair in pairs {
                let entry = try decodeKey(pair)
                keys[entry.slug] = entry
            }
        }

        var secrets: [Slug: [UInt8]] = [:]
        if let node = top.node("secrets"), !HostManifest.isNull(node) {
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
        let openbao = try top.node("openbao").map(HostManifest.decodeOpenBao)
        var auditSeed: [UInt8]? = nil
        var auditCard: AuditCardKey? = nil
        if let node = top.node("audit"), !HostManifest.isNull(node) {
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

    static func decodeKey(_ pair: YAMLPair) throws -> KeyEntry {
        // Made once per key; the paths of `options` and `sendTo` only for a key that has them.
        let path = "keys.\(pair.key.prefix(80))"
        var f = try YAMLFields(pair.value, path: path)
        let entry = try HostManifest.field(pair.keyLine) { () throws -> KeyEntry in
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
                            options: try HostManifest.decodeOptions(f.node("options"), path: path + ".options"),
                            addr: try f.optionalString("addr"), cacert: try f.optionalString("cacert"),
                            sendTo: try HostManifest.decodeSendTo(f.node("sendTo"), path: path + ".sendTo"),
                            createdAt: try f.string("createdAt"), updatedAt: try f.string("updatedAt"))
        }
        try f.finish()
        return entry
    }
}
