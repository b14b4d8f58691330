import KeyrackClient
import AgeFormat
import AgeSSH
import AgeTPM
import Foundation
import KeyrackCore
import KeyrackDaemon
#if canImport(Glibc)
import Glibc
#endif
import SecretBytes
import TPM
import KeyrackClient

/// `keyrack unlock --identity-agent`: hands the owner's identities to its daemon for a TTL, so
/// `age-plugin-keyrack` can unwrap age files with them. Which identities: every one of the
/// owner's recipients whose key is on this machine (the YubiKey slot first, then backups), or
/// the files given with --identity. Nothing is decrypted here and the card is not touched: the
/// daemon asks for the PIN through the age client the first time it needs the card.
public struct IdentityAgentStart {
    public var owner: OwnerName
    public var store: HostManifestStore
    public var pinned: UInt32?
    public var identityPaths: [String]
    public var using: Via?
    public var ttlSeconds: Int
    /// Asks an encrypted ssh key's passphrase now: the agent cannot ask later.
    public var terminal: any UserTerminal
    public var daemon: any OwnerDaemonPort
    /// Told the pid of a daemon this start started.
    public var started: (Int32) -> Void

    public init(owner: OwnerName, store: HostManifestStore, pinned: UInt32?, identityPaths: [String], using: Via?, ttlSeconds: Int,
                terminal: any UserTerminal = LiveTerminal(), daemon: any OwnerDaemonPort = LiveDaemonPort(), started: @escaping (Int32) -> Void = { _ in }) {
        self.owner = owner
        self.store = store
        self.pinned = pinned
        self.identityPaths = identityPaths
        self.using = using
        self.ttlSeconds = ttlSeconds
        self.terminal = terminal
        self.daemon = daemon
        self.started = started
    }

    /// An identity agent holds what opens every file of the owner (its manifest too): an hour,
    /// not a working day, unless asked.
    public static let defaultTTLSeconds = 3600

    /// What the agent holds, as the daemon said: labels only, never a key.
    public struct Result: Equatable {
        public var owner: String
        public var labels: [String]
        public var remainingMilliseconds: UInt64
        public var expiresAtWallMilliseconds: UInt64
    }

    public func run() throws -> Result {
        // It opens anything encrypted to the owner: never longer than the owner's longest grant.
        let cap = UnlockPlan.identityAgentCapSeconds(manifestHoldsSudoKeys: false)
        guard ttlSeconds <= cap else {
            throw KeyrackError(.usage, "an identity agent of \(ttlSeconds / 60)m is longer than it may live (\(cap / 3600)h, an owner's longest grant)")
        }
        var keys = try collect()
        defer { for i in keys.indices { zeroize(&keys[i].secret) } }
        if let pid = try daemon.start(owner: owner.value, pinnedUID: pinned) { started(pid) }
        guard case .agentStarted(let status) = try daemon.send(owner: owner.value, .agentStart(keys, ttlMilliseconds: UInt64(ttlSeconds) * 1000)) else {
            throw DaemonError.malformed("the daemon answered AGENT START with something else")
        }
        return Result(owner: owner.value, labels: status.labels, remainingMilliseconds: status.remainingMilliseconds,
                      expiresAtWallMilliseconds: status.expiresAtWallMilliseconds)
    }

    private func collect() throws -> [AgentKeyRequest] {
        if !identityPaths.isEmpty {
            return try identityPaths.map { path in
                let bytes = try read(path)
                if String(decoding: bytes, as: UTF8.self).contains("\n" + TPMStub.hrp + "1") { return [try tpm(path, label: "from \(path) (tpm)")] }
                return SSHKeys.isPrivateKey(bytes) ? [try ssh(bytes, path: path, label: "from \(path) (ssh)", pubkey: "")]
                    : try age(bytes, path: path, label: "from \(path) (age)", pubkey: "")
            }.flatMap { $0 }
        }
        let locations = try store.availableIdentityLocations(owner, only: using)
        guard !locations.isEmpty else {
            throw KeyrackError(.wrongIdentity, problem: "no\(using.map { " \($0.rawValue)" } ?? "") identity of owner \(owner.value) is on this machine", remedy: .giveIdentityOrAddRecipient(environment: false))
        }
        return try locations.flatMap { loc -> [AgentKeyRequest] in
            // availableIdentityLocations keeps only recipients whose identity is recorded here.
            switch (loc.identity, loc.via) {
            case (.card(let serial, let slot)?, _):
                return [AgentKeyRequest(kind: "yubikey", label: "\(loc.label) (yubikey \(serial) slot \(slot), \(HostManifestStore.shorten(loc.pubkey)))",
                                       descriptor: "\(serial) \(slot) \(loc.pubkey)", secret: [])]
            case (.file(let path)?, .tpm):
                return [try tpm(path, label: "\(loc.label) (tpm, \(path))")]
            case (.file(let path)?, .ssh):
                return [try ssh(try read(path), path: path, label: "\(loc.label) (ssh, \(path))", pubkey: loc.pubkey)]
            case (.file(let path)?, _):
                return try age(try read(path), path: path, label: "\(loc.label) (age, \(path))", pubkey: loc.pubkey)
            case (nil, _):
                return []
            }
        }
    }

    /// An age identity file: X25519 keys go as their 32-byte scalars (see AgentIdentities), any
    /// other kind as the file's text.
    private func age(_ bytes: [UInt8], path: String, label: String, pubkey: String) throws -> [AgentKeyRequest] {
        let ids: [any Identity]
        do { ids = try AgeKeys.parseIdentities(fileContents: bytes) } catch let error as AgeError {
            throw UsageError("\(path) is not a usable age identity file: \(error)")
        }
        guard !ids.isEmpty, ids.allSatisfy({ $0 is X25519Identity }) else {
            return [AgentKeyRequest(kind: "age", label: label, descriptor: pubkey, secret: bytes)]
        }
        return try ids.map { id in
            var scalar = try Bech32.decode((id as! X25519Identity).string).data
            defer { zeroize(&scalar) }
            return AgentKeyRequest(kind: "x25519", label: label, descriptor: pubkey, secret: scalar)
        }
    }

    /// A TPM identity: the sealed key and the TCTI this unlock resolved, so the daemon reaches
    /// the same TPM whatever its own environment. No secret: the TPM does the ECDH, and a PIN
    /// is asked through the age client the first time (then held for the agent's TTL).
    private func tpm(_ path: String, label: String) throws -> AgentKeyRequest {
        let file = try TPMIdentityFiles.read(path)
        let tcti = TPMClient.tcti(environment: ProcessInfo.processInfo.environment, recorded: file.tcti)
        return AgentKeyRequest(kind: "tpm", label: label, descriptor: "\(file.stub.string) \(tcti)", secret: [])
    }

    private struct NeedsPassphrase: Error {}

    /// An ssh key, with its passphrase asked now (on the terminal) when it is encrypted: the
    /// agent cannot ask later, as age clients' prompts are for PINs of cards.
    private func ssh(_ bytes: [UInt8], path: String, label: String, pubkey: String) throws -> AgentKeyRequest {
        do {
            _ = try SSHKeys.identity(fromPrivateKey: bytes) { throw NeedsPassphrase() }
            return AgentKeyRequest(kind: "ssh", label: label, descriptor: pubkey, secret: bytes)
        } catch is NeedsPassphrase {
            var passphrase = try terminal.ask(.passphrase(prompt: "passphrase for ssh key \(path): "))
            defer { zeroize(&passphrase) }
            do { _ = try SSHKeys.identity(fromPrivateKey: bytes) { passphrase } } catch let error as SSHKeyError {
                throw UsageError("cannot use ssh key \(path): \(error)")
            }
            return AgentKeyRequest(kind: "ssh", label: label, descriptor: pubkey, secret: bytes + [0] + passphrase)
        } catch let error as SSHKeyError {
            throw UsageError("cannot use ssh key \(path): \(error)")
        }
    }

    /// Through the store's one rule: a key file others may read is refused, as at unlock.
    private func read(_ path: String) throws -> [UInt8] {
        try HostManifestStore.readIdentityFile(path)
    }
}
