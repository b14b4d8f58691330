import Foundation
import KeyrackNames
import SecretBytes

/// How an owner (or one of its backup recipients) proves itself (docs/formats.md, docs/yubikey.md).
public enum Via: String, CaseIterable, Sendable {
    case yubikey, tpm, ssh, age

    public init(parsing text: String) throws {
        guard let via = Via(rawValue: text) else {
            throw KeyrackError.usage("unknown via '\(text.prefix(40))': want ssh, age, yubikey or tpm")
        }
        self = via
    }
}

/// The PIV slot a YubiKey owner's key lives in, recorded at `init` so unlock finds the card.
public struct YubiKeySlot: Equatable, Sendable {
    public var serial: UInt32
    /// Two hex digits, e.g. `82`.
    public var slot: String
    public var pinPolicy: String
    public var touchPolicy: String

    public init(serial: UInt32, slot: String, pinPolicy: String, touchPolicy: String) {
        self.serial = serial
        self.slot = slot
        self.pinPolicy = pinPolicy
        self.touchPolicy = touchPolicy
    }
}

/// The owner section: who this manifest belongs to and its primary recipient.
public struct OwnerRecord: Equatable, Sendable {
    public var name: OwnerName
    public var via: Via
    /// `age1…`, `age1pq1…`, `age1yubikey1…` or `age1tag1…` (which of the two YubiKey forms the
    /// owner was given is recorded by the prefix itself), or an OpenSSH authorized_keys line.
    public var pubkey: String
    public var yubikey: YubiKeySlot?
    /// The Unix uid this owner is pinned to (`init --uid`); the daemon admits only that uid.
    public var uid: UInt32?
    /// `init --sandboxed` / `sandbox require`: the owner's daemon gives values only to peers
    /// inside a sandbox `exec --sandbox` started for it. In the encrypted manifest, so only a
    /// holder of the owner's identity can turn it off.
    public var sandboxed: Bool = false

    public init(name: OwnerName, via: Via, pubkey: String, yubikey: YubiKeySlot? = nil, uid: UInt32? = nil) {
        self.name = name
        self.via = via
        self.pubkey = pubkey
        self.yubikey = yubikey
        self.uid = uid
    }
}

/// A backup recipient of the same owner (`recipient add`): any of them opens the manifest.
public struct BackupRecipient: Equatable, Sendable {
    public var label: RecipientLabel
    public var via: Via
    public var pubkey: String
    public var addedAt: String

    public init(label: RecipientLabel, via: Via, pubkey: String, addedAt: String) {
        self.label = label
        self.via = via
        self.pubkey = pubkey
        self.addedAt = addedAt
    }
}

/// One key: where its secret lives and how it is used. Never the value itself.
///
/// What is read at every turn (slug, vault, mech) is stored inline; the rest sits in one
/// immutable box (`Details`), shared by copies and, when the decoder finds them equal, by
/// entries: a copy of an entry is then one retain, not a dozen (a 10 000-key unlock copies
/// each entry about seven times, and those copies were 4 % of its instructions).
public struct KeyEntry: Equatable, Sendable {
    public var slug: Slug
    public var vault: Vault
    public var mech: Mechanism
    private var details: Details

    /// The fields not read at every turn, as one value (`KeyEntry`'s fields of the same names).
    struct Fields: Equatable, Sendable {
        var exid: String?
        var maxDuration: Duration?
        var addr: String?
        var cacert: String?
        var options: [String: String]
        var sendTo: [Destination]
        var createdAt: String
        var updatedAt: String

        init(exid: String?, maxDuration: Duration?, options: [String: String], addr: String?, cacert: String?,
             sendTo: [Destination], createdAt: String, updatedAt: String) {
            self.exid = exid
            self.maxDuration = maxDuration
            self.addr = addr
            self.cacert = cacert
            self.options = options
            // Most keys have no destination, some one: sorting and deduplicating those through a
            // set was a tenth of reading a 10 000-key manifest.
            self.sendTo = Fields.normalized(sendTo)
            self.createdAt = createdAt
            self.updatedAt = updatedAt
        }

        /// Destinations sorted, without duplicates, as an entry holds them.
        static func normalized(_ sendTo: [Destination]) -> [Destination] { sendTo.count < 2 ? sendTo : Array(Set(sendTo)).sorted() }
    }

    /// Never changed once made: a change to an entry makes it a new box.
    final class Details: Sendable {
        let fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    /// Vault-specific external id: the `op://…` reference for 1password, else nil.
    public var exid: String? { get { details.fields.exid } set { update { $0.exid = newValue } } }
    public var maxDuration: Duration? { get { details.fields.maxDuration } set { update { $0.maxDuration = newValue } } }
    /// openbao only: this key's cluster address and CA file, over the manifest's `openbao:` defaults.
    public var addr: String? { get { details.fields.addr } set { update { $0.addr = newValue } } }
    public var cacert: String? { get { details.fields.cacert } set { update { $0.cacert = newValue } } }
    /// Vault- and mechanism-specific settings that are not secret (`region` for aws.params,
    /// `account` for 1password, `repositories`/`permissions` for a GitHub App), checked by
    /// `KeyOptions` at `set`. Empty for most keys, and then not written.
    public var options: [String: String] { get { details.fields.options } set { update { $0.options = newValue } } }
    /// Where `exec --proxy` may put the value (`set --send-to`, issue 27), sorted, no duplicates.
    /// Empty: the value is never substituted into any request. Not written when empty.
    public var sendTo: [Destination] { get { details.fields.sendTo } set { update { $0.sendTo = newValue } } }
    public var createdAt: String { get { details.fields.createdAt } set { update { $0.createdAt = newValue } } }
    public var updatedAt: String { get { details.fields.updatedAt } set { update { $0.updatedAt = newValue } } }

    public var env: EnvName { slug.envName }
    public var org: OrgName { slug.orgName }

    public init(slug: Slug, vault: Vault, exid: String?, mech: Mechanism, maxDuration: Duration?, options: [String: String] = [:],
                addr: String? = nil, cacert: String? = nil, sendTo: [Destination] = [], createdAt: String, updatedAt: String) {
        self.init(slug: slug, vault: vault, mech: mech,
                  details: Details(Fields(exid: exid, maxDuration: maxDuration, options: options, addr: addr, cacert: cacert, sendTo: sendTo,
                                          createdAt: createdAt, updatedAt: updatedAt)))
    }

    /// An entry whose other fields are `details`' (a box another entry may hold too).
    init(slug: Slug, vault: Vault, mech: Mechanism, details: Details) {
        self.slug = slug
        self.vault = vault
        self.mech = mech
        self.details = details
    }

    /// The box of this entry's other fields, for an entry read next with the same ones.
    var sharedDetails: Details { details }

    private mutating func update(_ change: (inout Fields) -> Void) {
        var fields = details.fields
        change(&fields)
        details = Details(fields)
    }

    public static func == (a: KeyEntry, b: KeyEntry) -> Bool {
        a.slug == b.slug && a.vault == b.vault && a.mech == b.mech && (a.details === b.details || a.details.fields == b.details.fields)
    }
}

/// The card that signs an owner's access log (HostManifest.auditCard): a YubiKey slot, or, for
/// a TPM owner, the TPM's signing key (`slot` is then `tpm` and `tpm` holds the key as the TPM
/// sealed it).
public struct AuditCardKey: Equatable, Sendable {
    /// The slot name a TPM signing key is recorded under.
    public static let tpmSlot = "tpm"
    public var slot: String
    public var serial: UInt32?
    public var publicKey: [UInt8]
    public var tpm: AuditTPMKey?
    public init(slot: String, serial: UInt32?, publicKey: [UInt8], tpm: AuditTPMKey? = nil) {
        self.slot = slot; self.serial = serial; self.publicKey = publicKey; self.tpm = tpm
    }
}

/// A TPM owner's access-log signing key as its TPM sealed it (TPMSealedKey's three blobs in the
/// TPM's wire form): only that TPM can load it, so it is no secret elsewhere; it sits in the
/// encrypted manifest so the one who can open the manifest finds it at unlock.
public struct AuditTPMKey: Equatable, Sendable {
    public var publicBlob: [UInt8]
    public var privateBlob: [UInt8]
    public var parentName: [UInt8]
    /// Its authValue is the owner's TPM PIN.
    public var hasPIN: Bool
    public init(publicBlob: [UInt8], privateBlob: [UInt8], parentName: [UInt8], hasPIN: Bool) {
        self.publicBlob = publicBlob; self.privateBlob = privateBlob; self.parentName = parentName; self.hasPIN = hasPIN
    }
}

/// The decrypted host manifest of one owner (docs/formats.md).
public struct HostManifest: Equatable, Sendable {
    /// The format version this keyrack reads and writes.
    public static let currentVersion = 1

    public var version: Int
    public var owner: OwnerRecord
    public var recipients: [BackupRecipient]
    public var keys: [Slug: KeyEntry] { didSet { sortedKeys = SortedKeys() } }
    /// `keys` in slug order, when the decoder found them written that way (keyrack writes them
    /// so), so choosing an unlock's keys neither sorts nor copies them; cleared by any change to
    /// `keys`, after which `keys(env:key:)` sorts as it always did.
    var sortedKeys = SortedKeys()
    /// os.secure values by slug, kept apart from `keys` so listing never touches them.
    public var secrets: [Slug: [UInt8]]

    /// Zeroes every value where it lives (its storage, shared with every copy of it): for a
    /// manifest opened to read some of its keys, done with, and about to be freed or kept.
    public func wipeSecrets() {
        for value in secrets.values { wipeStorage(value) }
    }
    /// How this owner reaches its OpenBao / Vault cluster (`keyrack set-default`); nil when unset.
    public var openbao: OpenBaoSettings?
    /// The seed of the owner's Ed25519 access-log checkpoint key (32 random bytes, made at init or
    /// at the first write of an older manifest). It lives here, encrypted to the owner's
    /// recipients, so only who can open the manifest can sign checkpoints; `unlock` hands it
    /// to the daemon (docs/audit.md).
    public var auditSeed: [UInt8]?
    /// The YubiKey slot that signs the access log's head at each unlock (a `card-checkpoint`),
    /// and its P-256 public point (04‖X‖Y), which `audit verify --manifest` requires
    /// (`keyrack audit anchor --slot 9a`); nil when the card does not sign the log.
    public var auditCard: AuditCardKey?

    /// 32 bytes from the system's CSPRNG (getrandom on Linux).
    public static func newAuditSeed() -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &g) }
    }

    public init(owner: OwnerRecord, recipients: [BackupRecipient] = [], keys: [Slug: KeyEntry] = [:], secrets: [Slug: [UInt8]] = [:]) {
        self.version = HostManifest.currentVersion
        self.owner = owner
        self.recipients = recipients
        self.keys = keys
        self.secrets = secrets
    }

    /// Every public key the manifest is encrypted to: the primary first, then the backups.
    public var allPublicKeys: [(label: String, via: Via, pubkey: String)] {
        [(RecipientLabel.primary, owner.via, owner.pubkey)] + recipients.map { ($0.label.value, $0.via, $0.pubkey) }
    }

    /// Keys filtered as `unlock`/`get` ask for them: by env (an `ORG.all.KEY` entry answers any
    /// env of its org) and, when given, by key name or full slug. Sorted by slug.
    public func keys(env: String? = nil, key: String? = nil) -> [KeyEntry] {
        let chosen = { (entry: KeyEntry) -> Bool in
            if let env, entry.slug.env != env, entry.slug.env != EnvName.all { return false }
            if let key, entry.slug.key != key, !entry.slug.isDescription(key) { return false }
            return true
        }
        if let sorted = sortedKeys.entries {
            // All of them (an unlock of the whole env, as most are): the very array, no copy.
            return sorted.allSatisfy(chosen) ? sorted : sorted.filter(chosen)
        }
        return HostManifest.sortedBySlug(keys.values.filter(chosen))
    }

    /// `entries` in the order of their slugs' descriptions (Slug's `<`), sorted as positions into
    /// one buffer of all the descriptions' bytes, compared with memcmp: a sort moving whole
    /// entries (a dozen references each), or slugs, or a String per description, cost more than
    /// the rest of unlock's choosing put together.
    static func sortedBySlug(_ entries: [KeyEntry]) -> [KeyEntry] {
        var text: [UInt8] = []
        text.reserveCapacity(entries.count * 32)
        var order: [(start: Int, count: Int, index: Int)] = []
        order.reserveCapacity(entries.count)
        for (i, entry) in entries.enumerated() {
            let start = text.count
            entry.slug.appendUTF8(to: &text)
            order.append((start, text.count - start, i))
        }
        text.withUnsafeBufferPointer { bytes in
            let base = bytes.baseAddress
            order.sort { a, b in
                let c = memcmp(base! + a.start, base! + b.start, min(a.count, b.count))
                return c != 0 ? c < 0 : a.count < b.count
            }
        }
        return order.map { entries[$0.index] }
    }

    /// The current time as the manifest writes it (ISO 8601, UTC, seconds).
    public static func timestamp(_ date: Date = Date()) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }
}

/// The entries of a manifest's `keys` in slug order (`HostManifest.sortedKeys`): derived from
/// `keys`, so no part of the manifest's value and never a reason for two manifests to differ.
struct SortedKeys: Equatable, Sendable {
    var entries: [KeyEntry]?

    init(_ entries: [KeyEntry]? = nil) { self.entries = entries }

    static func == (_: SortedKeys, _: SortedKeys) -> Bool { true }
}
