import AgeFormat
import AgeYubiKey
import TPM
import Foundation
import KeyrackYAML
import KeyrackNames
import SecretBytes

/// Reads and writes owners' host manifests (docs/formats.md). This is the API the CLI and the
/// daemon share:
///
/// - `initialise` creates an owner (once; a second call changes nothing);
/// - `identities(for:)` finds what can open an owner's manifest on this machine, in the order
///   ManifestIdentities tries it;
/// - `load` and `open` decrypt and parse a manifest;
/// - `update` is the only way to change one: under the owner's lock it loads, lets the caller
///   edit, re-encrypts to every recipient and replaces the file atomically. A manifest that
///   does not decrypt or parse is reported and left exactly as it was.
public struct HostManifestStore {
    public let home: KeyrackHome

    public init(home: KeyrackHome) { self.home = home }

    /// The store of the home the environment names (`KEYRACK_HOME`, else `~/.rhachet/keyrack`).
    /// The home must be trustworthy (`KeyrackHome.checkTrusted`) for reads and writes alike.
    public static func fromEnvironment() throws -> HostManifestStore {
        let home = try KeyrackHome.fromEnvironment()
        try home.checkTrusted()
        return HostManifestStore(home: home)
    }

    public func isInitialised(_ owner: OwnerName) -> Bool { FileSystem.exists(home.manifest(owner)) }

    /// Every owner with a manifest in this home, sorted.
    public func owners() -> [OwnerName] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: home.root.path)) ?? []
        return names.compactMap { name -> OwnerName? in
            guard name.hasPrefix("host."), name.hasSuffix(".yml.age") else { return nil }
            return try? OwnerName(String(name.dropFirst(5).dropLast(8)))
        }.sorted { $0.value < $1.value }
    }

    // MARK: init

    public enum InitOutcome {
        case created(HostManifest, RecipientSetup)
        /// The owner existed; nothing was changed. Carries its public recipients when known.
        case alreadyInitialised(RecipientsFile?)
    }

    /// Creates `owner`'s manifest, encrypted to exactly the recipient `via` derives, unless the
    /// owner already exists.
    public func initialise(owner: OwnerName, uid: UInt32?, sandboxed: Bool = false, request: RecipientSetupRequest) throws -> InitOutcome {
        let via = request.spec.via
        try home.ensureDirectory()
        if isInitialised(owner) { return .alreadyInitialised(try? recipientsFile(owner)) }
        // Derived before taking the lock, so bad input (an unreadable or unsupported public key)
        // fails having touched nothing, not even the lock file. Setup is safe to race: it only
        // reads, or creates an identity file exclusively.
        let setup = try RecipientBackends.backend(for: via).setUp(request)
        return try OwnerLock.withLock(home: home, owner: owner) {
            if isInitialised(owner) { return .alreadyInitialised(try? recipientsFile(owner)) }
            var record = OwnerRecord(name: owner, via: via, pubkey: setup.pubkey, yubikey: setup.yubikey, uid: uid)
            record.sandboxed = sandboxed
            var manifest = HostManifest(owner: record)
            manifest.auditSeed = HostManifest.newAuditSeed()
            let sidecar = RecipientsFile.from(manifest: manifest, previous: nil, newLocations: [setup.location])
            // The companion first: the manifest's appearance is what marks the owner initialised.
            try FileSystem.writeAtomically(try sidecar.encodeYAML(), to: home.recipientsFile(owner))
            try write(manifest)
            return .created(manifest, setup)
        }
    }

    /// Creates `manifest`'s owner whole (`keyrack migrate`): its os.direct values, its recipients
    /// file recording `locations`, then the manifest, each atomically, under the owner's lock.
    /// Returns false, writing nothing, when the owner already has a manifest.
    public func create(_ manifest: HostManifest, direct: [Slug: [UInt8]], locations: [RecipientLocation]) throws -> Bool {
        let owner = manifest.owner.name
        try home.ensureDirectory()
        if isInitialised(owner) { return false }
        return try OwnerLock.withLock(home: home, owner: owner) {
            if isInitialised(owner) { return false }
            if !direct.isEmpty {
                try home.ensureDirectory("direct")
                try DirectStore(url: home.direct(owner)).save(direct)
            }
            let sidecar = RecipientsFile.from(manifest: manifest, previous: nil, newLocations: locations)
            try FileSystem.writeAtomically(try sidecar.encodeYAML(), to: home.recipientsFile(owner))
            // Last: the manifest's appearance is what marks the owner initialised.
            try write(manifest)
            return true
        }
    }

    /// Renames `owner`'s manifest, recipients file and direct file to `NAME.SUFFIX` under the
    /// owner's lock, so the owner is no longer initialised and nothing is lost (`migrate
    /// --replace`). Returns the new paths.
    public func setAside(_ owner: OwnerName, suffix: String) throws -> [URL] {
        try OwnerLock.withLock(home: home, owner: owner) {
            var moved: [URL] = []
            for url in [home.direct(owner), home.recipientsFile(owner), home.manifest(owner)] where FileSystem.exists(url) {
                let aside = URL(fileURLWithPath: url.path + "." + suffix)
                guard rename(url.path, aside.path) == 0 else {
                    throw KeyrackError.failure("cannot rename \(url.path) to \(aside.path): \(String(cString: strerror(errno)))")
                }
                moved.append(aside)
            }
            return moved
        }
    }

    // MARK: identities

    /// The recipients file of `owner` (public keys and identity locations), nil when absent.
    public func recipientsFile(_ owner: OwnerName) throws -> RecipientsFile? {
        guard let bytes = try FileSystem.read(home.recipientsFile(owner)) else { return nil }
        do { return try RecipientsFile.decode(yaml: bytes) } catch let error as YAMLError {
            throw KeyrackError(.damaged, problem: "\(home.recipientsFile(owner).path) is damaged (\(error))", remedy: .restoreRecipients(owner: owner.value))
        }
    }

    /// The recipients of `owner` whose identity is present on this machine: an identity file
    /// that exists, or a YubiKey slot (whether the card is plugged in is learnt at unlock).
    /// Primary first, then backups as recorded: the order in which unlock and the identity agent
    /// try them. `only` keeps one kind (`unlock --using`).
    public func availableIdentityLocations(_ owner: OwnerName, only kind: Via? = nil) throws -> [RecipientLocation] {
        try requireInitialised(owner)
        let here = (try recipientsFile(owner)?.recipients ?? []).filter { loc in
            guard kind == nil || loc.via == kind else { return false }
            switch loc.identity {
            case .file(let path)?: return FileSystem.exists(URL(fileURLWithPath: path))
            case .card?: return true
            case nil: return false
            }
        }
        return here.filter { $0.label == RecipientLabel.primary } + here.filter { $0.label != RecipientLabel.primary }
    }

    /// What to try on `owner`'s manifest (ManifestIdentities' rule): the files in `explicitPaths`
    /// when given (`--identity`), else the recorded recipients available here, primary first;
    /// `only` keeps one kind (`unlock --using`).
    public func identities(for owner: OwnerName, explicitPaths: [String] = [], only kind: Via? = nil,
                           interaction: Interaction = .nonInteractive) throws -> ManifestIdentities {
        if !explicitPaths.isEmpty {
            let given = try explicitPaths.map { try HostManifestStore.identity(fromFile: $0, interaction: interaction) }
            return ManifestIdentities(given: given, name: "from \(explicitPaths.joined(separator: ", "))")
        }
        let locations = try availableIdentityLocations(owner, only: kind)
        guard !locations.isEmpty else {
            throw KeyrackError(.wrongIdentity, problem: "no\(kind.map { " \($0.rawValue)" } ?? "") identity of owner \(owner.value) is on this machine: its manifest is encrypted to \(try describeRecipients(owner))", remedy: .giveIdentityOrAddRecipient(environment: true))
        }
        return ManifestIdentities(recorded: locations, interaction: interaction)
    }

    /// The bytes of an identity file the user names, refused (`PrivateFile`) when it holds a
    /// key and is not the caller's or others may read it.
    public static func readIdentityFile(_ path: String) throws -> [UInt8] {
        try KeyFile.read(path, what: "identity file", secret: true)
    }

    /// An identity from a file the user names: an OpenSSH private key or an age identity file.
    public static func identity(fromFile path: String, interaction: Interaction = .nonInteractive) throws -> any Identity {
        try identity(fromBytes: try readIdentityFile(path), source: path, interaction: interaction)
    }

    /// The same from bytes already read (a descriptor CI passes a secret on, which can be read
    /// only once); `source` names it in prompts and errors.
    public static func identity(fromBytes bytes: [UInt8], source: String, interaction: Interaction = .nonInteractive) throws -> any Identity {
        if SSHBridge.isPrivateKey(bytes) {
            return try SSHBackend.identity(privateKey: bytes, source: source, interaction: interaction)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw KeyrackError.usage("\(source) is not a usable identity file: it is not UTF-8 text")
        }
        do {
            return MultiIdentity(try IdentityLines.identities(in: text, cardIdentity: { YubiKeyBackend.identity(stub: $0, interaction: interaction) },
                                                              tpmPIN: { tries in try interaction.secret(.pin(prompt: TPMPrompt.pin(triesLeft: tries))) }))
        } catch let error as AgeError {
            throw KeyrackError.usage("\(source) is not a usable identity file: \(error)")
        }
    }

    // MARK: reading

    /// Decrypts and parses `owner`'s manifest.
    public func load(owner: OwnerName, identities: ManifestIdentities) throws -> HostManifest {
        try open(owner, with: identities).manifest
    }

    /// The same, naming which of `identities` opened it (unlock reports a backup).
    public func open(_ owner: OwnerName, with identities: ManifestIdentities) throws -> OpenedManifest {
        try requireInitialised(owner)
        guard let ciphertext = try FileSystem.read(home.manifest(owner)) else { throw notInitialised(owner) }
        let (manifest, candidate) = try identities.first { try decode(owner, ciphertext, with: $0) }
        return OpenedManifest(manifest: manifest, openedBy: candidate)
    }

    private func decode(_ owner: OwnerName, _ ciphertext: [UInt8], with identity: any Identity) throws -> HostManifest {
        var plaintext: [UInt8]
        do {
            plaintext = try Age.decrypt(ciphertext, with: [identity])
        } catch AgeError.noMatchingIdentity {
            throw KeyrackError(.wrongIdentity, problem: "cannot open the host manifest of owner \(owner.value): it is encrypted to \(try describeRecipients(owner)), and no identity tried matches",
                               remedy: .giveIdentity)
        } catch let error as AgeError {
            throw damaged(owner, "\(error)")
        }
        // The plaintext holds every os.secure value; the decoded manifest has its own copies.
        defer { wipe(&plaintext) }
        let manifest: HostManifest
        do { manifest = try HostManifest.decode(yaml: plaintext) } catch let error as YAMLError {
            throw damaged(owner, "it decrypts but is not a valid manifest: \(error)")
        }
        guard manifest.owner.name == owner else {
            throw damaged(owner, "it belongs to owner \(manifest.owner.name.value)")
        }
        return manifest
    }

    /// `owner`'s os.direct values by slug (plaintext, not secret by contract).
    public func directValues(owner: OwnerName) throws -> [Slug: [UInt8]] {
        try DirectStore(url: home.direct(owner)).load()
    }

    // MARK: writing

    /// Read-modify-write of `owner`'s manifest (and its os.direct values) under the owner's lock.
    /// `body` edits both; what it changes is written atomically, the direct file first (a crash
    /// between the two leaves at worst a direct value no key points to). Recipient changes also
    /// refresh the recipients file; `newLocations` records where added identities live.
    @discardableResult
    public func update<T>(owner: OwnerName, identities: ManifestIdentities, newLocations: [RecipientLocation] = [],
                          _ body: (inout HostManifest, inout [Slug: [UInt8]]) throws -> T) throws -> T {
        try requireInitialised(owner)
        return try OwnerLock.withLock(home: home, owner: owner) {
            // A writer killed mid-write (kill -9, power cut) leaves its temp file; every file this
            // update may rewrite is swept, so such leftovers never accumulate.
            for url in [home.manifest(owner), home.recipientsFile(owner), home.direct(owner)] {
                FileSystem.removeStaleTemporaries(of: url)
            }
            let before = try load(owner: owner, identities: identities)
            let direct = DirectStore(url: home.direct(owner))
            let directBefore = try direct.load()
            var manifest = before, values = directBefore
            let result = try body(&manifest, &values)
            if values != directBefore {
                try home.ensureDirectory("direct")
                try direct.save(values)
            }
            if manifest != before {
                // An older manifest gets its access-log checkpoint seed with its next write.
                if manifest.auditSeed == nil { manifest.auditSeed = HostManifest.newAuditSeed() }
                if manifest.allPublicKeys.map(\.pubkey) != before.allPublicKeys.map(\.pubkey) || manifest.owner.uid != before.owner.uid
                    || manifest.owner.sandboxed != before.owner.sandboxed {
                    let sidecar = RecipientsFile.from(manifest: manifest, previous: try? recipientsFile(owner), newLocations: newLocations)
                    try write(manifest)
                    try FileSystem.writeAtomically(try sidecar.encodeYAML(), to: home.recipientsFile(owner))
                } else {
                    try write(manifest)
                }
            }
            return result
        }
    }

    /// Encrypts `manifest` to all its recipients and replaces the owner's file.
    private func write(_ manifest: HostManifest) throws {
        let recipients = try manifest.allPublicKeys.map { try RecipientBackends.recipient(publicKey: $0.pubkey) }
        let ciphertext: [UInt8]
        do { ciphertext = try Age.encrypt(try manifest.encodeYAML(), to: recipients, armor: true) } catch let error as AgeError {
            throw KeyrackError.usage("cannot encrypt the manifest of \(manifest.owner.name.value): \(error)")
        }
        try FileSystem.writeAtomically(ciphertext, to: home.manifest(manifest.owner.name))
    }

    // MARK: errors

    /// The one "not initialised" refusal (with the TypeScript keyrack's manifest named when it is there).
    public func requireInitialised(_ owner: OwnerName) throws {
        guard isInitialised(owner) else { throw notInitialised(owner) }
    }

    /// The owner's recipients (primary first) for `identity`, which needs no manifest opened:
    /// the one "not initialised" refusal when the owner has no manifest here, and the damaged
    /// recipients file's when the manifest is there but its recipients are not.
    public func initialisedRecipients(_ owner: OwnerName) throws -> [RecipientLocation] {
        try requireInitialised(owner)
        guard let recipients = try recipientsFile(owner)?.recipients, !recipients.isEmpty else {
            throw KeyrackError(.damaged, problem: "\(home.recipientsFile(owner).path) is missing or lists no recipient", remedy: .restoreRecipients(owner: owner.value))
        }
        return recipients
    }

    func notInitialised(_ owner: OwnerName) -> KeyrackError {
        if let old = typeScriptManifest(owner) {
            return KeyrackError(.usage, problem: "owner \(owner.value) is not initialised here, but the TypeScript keyrack's manifest \(old.path) is", remedy: .migrate(owner: owner.value, orStartEmpty: false))
        }
        return KeyrackError(.usage, problem: "owner \(owner.value) is not initialised (no \(home.manifest(owner).path))", remedy: .initialise(owner: owner.value))
    }

    /// The TypeScript keyrack's host manifest of `owner` in this home, when there is one
    /// (`keyrack.host.age` is its default owner, `human` here; docs/migrating.md).
    public func typeScriptManifest(_ owner: OwnerName) -> URL? {
        let name = owner == .human ? "keyrack.host.age" : "keyrack.host.\(owner.value).age"
        let url = home.root.appendingPathComponent(name)
        return FileSystem.exists(url) ? url : nil
    }

    private func damaged(_ owner: OwnerName, _ why: String) -> KeyrackError {
        KeyrackError(.damaged, problem: "the host manifest of owner \(owner.value) (\(home.manifest(owner).path)) is damaged: \(why); it was left unchanged", remedy: .restoreOrReinitialise(owner: owner.value))
    }

    /// "primary ssh-ed25519 AAAA…Xyz (via ssh), backup paper (age1…)" from the public companion.
    func describeRecipients(_ owner: OwnerName) throws -> String {
        guard let file = try? recipientsFile(owner), !file.recipients.isEmpty else {
            return "recipients not recorded on this machine (\(home.recipientsFile(owner).lastPathComponent) is missing)"
        }
        return file.recipients.map { r in
            "\(r.label) \(HostManifestStore.shorten(r.pubkey)) (via \(r.via.rawValue)\(r.identityPath.map { ", identity \($0)" } ?? ""))"
        }.joined(separator: ", ")
    }

    /// A public key short enough for one line but still recognisable.
    public static func shorten(_ pubkey: String) -> String {
        let parts = pubkey.split(separator: " ")
        if parts.count >= 2 {
            let blob = parts[1]
            let comment = parts.count > 2 ? " " + parts[2...].joined(separator: " ") : ""
            return "\(parts[0]) \(blob.prefix(12))…\(blob.suffix(8))\(comment)"
        }
        return pubkey.count > 40 ? "\(pubkey.prefix(20))…\(pubkey.suffix(8))" : pubkey
    }
}
