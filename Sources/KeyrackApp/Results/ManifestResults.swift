import KeyrackCore

// What the manifest commands answer with `--json` (printed by JSONLine): names, vaults,
// references and public keys, never a value.

/// One key as `list --json` shows it. `source`, `addr` and `cacert` only for openbao keys.
public struct KeyEntryJSON: Encodable {
    public var slug: String
    public var env: String
    public var org: String
    public var key: String
    public var vault: String
    public var mech: String
    public var exid: String?
    public var maxDuration: String?
    public var createdAt: String
    public var updatedAt: String
    public var sendTo: [String]
    /// openbao keys: the reference (`openbao:MOUNT/PATH#FIELD @ ADDR`), the address and CA file.
    public var openBao: (source: String, addr: String?, cacert: String?)?

    /// `source` is how the CLI shows an openbao key's reference (nil for other vaults).
    public init(_ entry: KeyEntry, source: String?) {
        slug = entry.slug.description
        env = entry.env.value
        org = entry.org.value
        key = entry.slug.key
        vault = entry.vault.rawValue
        mech = entry.mech.rawValue
        exid = entry.exid
        maxDuration = entry.maxDuration?.text
        createdAt = entry.createdAt
        updatedAt = entry.updatedAt
        sendTo = entry.sendTo.map(\.description)
        openBao = entry.vault == .openBao ? (source ?? entry.vault.rawValue, entry.addr, entry.cacert) : nil
    }

    private enum Field: String, CodingKey { case slug, env, org, key, vault, mech, exid, maxDuration, createdAt, updatedAt, sendTo, source, addr, cacert }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Field.self)
        try c.encode(slug, forKey: .slug)
        try c.encode(env, forKey: .env)
        try c.encode(org, forKey: .org)
        try c.encode(key, forKey: .key)
        try c.encode(vault, forKey: .vault)
        try c.encode(mech, forKey: .mech)
        try c.encodeIfPresent(exid, forKey: .exid)
        try c.encodeIfPresent(maxDuration, forKey: .maxDuration)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(sendTo, forKey: .sendTo)
        if let openBao {
            try c.encode(openBao.source, forKey: .source)
            try c.encodeIfPresent(openBao.addr, forKey: .addr)
            try c.encodeIfPresent(openBao.cacert, forKey: .cacert)
        }
    }
}

/// `list --json`.
public struct KeyListJSON: Encodable {
    public var owner: String
    public var keys: [KeyEntryJSON]

    public init(owner: String, keys: [KeyEntryJSON]) {
        self.owner = owner
        self.keys = keys
    }
}

/// `recipient list --json`: every public key the manifest is encrypted to.
public struct RecipientListJSON: Encodable {
    public struct Recipient: Encodable, Equatable {
        public var label: String
        public var via: String
        public var pubkey: String
        public var primary: Bool
        public var addedAt: String?
    }

    public var owner: String
    public var recipients: [Recipient]

    /// `addedAt` by label, for the recipients that record it (the primary one does not).
    public init(owner: String, manifest: HostManifest) {
        self.owner = owner
        let addedAt = Dictionary(manifest.recipients.map { ($0.label.value, $0.addedAt) }, uniquingKeysWith: { first, _ in first })
        recipients = manifest.allPublicKeys.map {
            Recipient(label: $0.label, via: $0.via.rawValue, pubkey: $0.pubkey, primary: $0.label == RecipientLabel.primary, addedAt: addedAt[$0.label])
        }
    }
}
