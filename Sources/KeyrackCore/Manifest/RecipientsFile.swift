import Foundation
import PIV
import KeyrackYAML

/// Where the identity of one recipient lives on this machine.
public enum IdentityLocation: Equatable, Sendable {
    /// An ssh private key or an age identity file.
    case file(String)
    /// A key in a YubiKey slot; unlock does the ECDH on the card.
    case card(serial: UInt32, slot: PIVSlot)
}

/// One recipient of an owner's manifest and where its identity lives on this machine.
public struct RecipientLocation: Equatable, Sendable {
    public var label: String
    public var via: Via
    public var pubkey: String
    /// Nil when the identity lives elsewhere (a paper backup, another machine, a CI secret).
    public var identity: IdentityLocation?

    public init(label: String, via: Via, pubkey: String, identity: IdentityLocation? = nil) {
        self.label = label
        self.via = via
        self.pubkey = pubkey
        self.identity = identity
    }

    /// The identity file, when the identity is one.
    public var identityPath: String? {
        if case .file(let path) = identity { return path }
        return nil
    }

    /// The YubiKey slot holding the key, when the identity is one.
    public var card: (serial: UInt32, slot: PIVSlot)? {
        if case .card(let serial, let slot) = identity { return (serial, slot) }
        return nil
    }
}

/// `host.<owner>.recipients.yml`: the public, non-secret companion of an owner's manifest.
///
/// The manifest is encrypted, so without this file keyrack could neither say which key a failed
/// decryption needed nor find the identity to try (an ssh key path given at `init`, a custom age
/// identity file). It holds only public keys and paths; the manifest stays the authority on who
/// it is encrypted to, and this file is rewritten with it on every recipient change.
public struct RecipientsFile: Equatable, Sendable {
    public static let currentVersion = 1
    public var owner: OwnerName
    public var uid: UInt32?
    /// A copy of the manifest's `sandboxed`, for paths that start a daemon without decrypting
    /// (`set --vault os.daemon`). Only ever used to tighten: the manifest is the authority, and
    /// `unlock` tells the daemon from the decrypted manifest.
    public var sandboxed: Bool = false
    public var recipients: [RecipientLocation]

    public init(owner: OwnerName, uid: UInt32? = nil, sandboxed: Bool = false, recipients: [RecipientLocation]) {
        self.owner = owner
        self.uid = uid
        self.sandboxed = sandboxed
        self.recipients = recipients
    }

    public static func decode(yaml bytes: [UInt8]) throws -> RecipientsFile {
        let root = try YAMLParser.parse(bytes)
        var top = try YAMLFields(root, path: "recipients file")
        let version = try top.int("version")
        guard version <= currentVersion else {
            throw YAMLError.newerVersion("recipients file", version: version, reads: currentVersion)
        }
        let owner = try HostManifest.field(top.line) { try OwnerName(try top.string("owner")) }
        var uid: UInt32?
        if top.keys.contains("uid") {
            guard let u = UInt32(exactly: try top.int("uid")) else { throw YAMLError(line: top.line, "uid is out of range") }
            uid = u
        }
        let sandboxed = top.keys.contains("sandboxed") ? try top.bool("sandboxed") : false
        var list: [RecipientLocation] = []
        guard let node = top.node("recipients"), case .sequence(let items, _) = node else {
            throw YAMLError(line: top.line, "recipients must be a list")
        }
        for (i, item) in items.enumerated() {
            var f = try YAMLFields(item, path: "recipients[\(i)]")
            var r = try HostManifest.field(item.line) {
                RecipientLocation(label: try f.string("label"), via: try Via(parsing: try f.string("via")), pubkey: try f.string("pubkey"))
            }
            if let path = try f.optionalString("identity") { r.identity = .file(path) }
            // A card identity is a serial and a slot together; either alone names no key.
            if f.keys.contains("serial") || f.keys.contains("slot") {
                guard let serial = UInt32(exactly: try f.int("serial")) else { throw YAMLError(line: item.line, "serial is out of range") }
                let text = try f.string("slot")
                guard let slot = PIVSlot(parsing: text) else { throw YAMLError(line: item.line, "slot '\(text.prefix(8))' is not a PIV slot in hex") }
                r.identity = .card(serial: serial, slot: slot)
            }
            try f.finish()
            list.append(r)
        }
        try top.finish()
        return RecipientsFile(owner: owner, uid: uid, sandboxed: sandboxed, recipients: list)
    }

    public func encodeYAML() throws -> [UInt8] {
        var top: [(String, YAMLNode)] = [("version", .int(RecipientsFile.currentVersion)), ("owner", .string(owner.value))]
        if let uid { top.append(("uid", .int(Int(uid)))) }
        if sandboxed { top.append(("sandboxed", .bool(true))) }
        top.append(("recipients", .list(recipients.map { r in
            var fields: [(String, YAMLNode)] = [("label", .string(r.label)), ("via", .string(r.via.rawValue)), ("pubkey", .string(r.pubkey))]
            switch r.identity {
            case .file(let path)?: fields.append(("identity", .string(path)))
            case .card(let serial, let slot)?: fields += [("serial", .int(Int(serial))), ("slot", .string(slot.description))]
            case nil: break
            }
            return .map(fields)
        })))
        let header = "# Public keys only: the recipients host.\(owner.value).yml.age is encrypted to, and where their\n# identities live on this machine. keyrack rewrites this file; the manifest is the authority.\n"
        return Array(header.utf8) + (try YAMLEmitter.emit(.map(top)))
    }

    /// Keeps this file in step with a manifest's recipients, carrying over known locations.
    public static func from(manifest: HostManifest, previous: RecipientsFile?, newLocations: [RecipientLocation] = []) -> RecipientsFile {
        let known = (newLocations + (previous?.recipients ?? []))
        let list = manifest.allPublicKeys.map { entry -> RecipientLocation in
            var loc = known.first { $0.pubkey == entry.pubkey } ?? RecipientLocation(label: entry.label, via: entry.via, pubkey: entry.pubkey)
            loc.label = entry.label
            loc.via = entry.via
            if entry.label == RecipientLabel.primary, let y = manifest.owner.yubikey, let slot = PIVSlot(parsing: y.slot) {
                loc.identity = .card(serial: y.serial, slot: slot)
            }
            return loc
        }
        return RecipientsFile(owner: manifest.owner.name, uid: manifest.owner.uid, sandboxed: manifest.owner.sandboxed, recipients: list)
    }
}
