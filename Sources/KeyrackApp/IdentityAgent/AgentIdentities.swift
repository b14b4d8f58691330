import AgeFormat
import AgeSSH
import AgeTPM
import AgeYubiKey
import KeyrackDaemon
import PIV
import SecretBytes
import TPM

/// The identities the daemon's agent unwraps with, built from what `unlock --identity-agent`
/// registered. The daemon holds the key material in guarded memory (`AgentSecret`) and knows no
/// key type; these adapters are the only code that turns that material into age identities,
/// and they do it per request, so a parsed private key never outlives one unwrap.
///
/// Kinds: `yubikey` (descriptor `SERIAL SLOT RECIPIENT`, no secret: the card does the ECDH and
/// the connection is held for the agent's TTL where pcscd restricts access, for one request
/// where it does not), `x25519` (secret: the 32-byte scalar, so no
/// text form of the key — whose parsing leaves String copies in the heap — ever enters the
/// daemon), `age` (other identity files, e.g. post-quantum: the file's text), `ssh` (the private
/// key file, then NUL and the passphrase when it is encrypted), `tpm` (descriptor
/// `AGE-PLUGIN-TPM-1… TCTI`, no secret: the TPM does the ECDH).
public enum AgentIdentities {
    public static let factory: AgentIdentityFactory = { kind, descriptor, secret in
        switch kind {
        case "yubikey": return try CardAgentIdentity(descriptor: descriptor)
        case "tpm": return try TPMAgentIdentity(descriptor: descriptor)
        case "x25519", "age", "ssh":
            let identity = SoftwareAgentIdentity(kind: kind, secret: secret)
            try identity.check()
            return identity
        default: throw AgentIdentityError.failed("unknown identity kind '\(kind.prefix(20))'")
        }
    }

    /// Unwraps each file with `identity`; malformed stanzas of a file make that file `.invalid`.
    public static func unwrap(_ files: [[AgentStanza]], with identity: any Identity, types: Set<String>) throws -> [AgentFileResult] {
        try files.map { file in
            let stanzas = file.map { Stanza(type: $0.type, arguments: $0.arguments, body: $0.body) }
            do {
                guard let key = try identity.unwrap(stanzas) else { return .notMine }
                return .fileKey(key.bytes)
            } catch let error as AgeError {
                return .invalid(stanza: file.firstIndex { types.contains($0.type) } ?? 0, message: error.description)
            } catch let error as SSHKeyError {
                return .invalid(stanza: file.firstIndex { types.contains($0.type) } ?? 0, message: error.description)
            }
        }
    }
}

/// A software identity: parsed from guarded memory on each request, dropped after it.
final class SoftwareAgentIdentity: AgentIdentity {
    private let kind: String
    private let secret: AgentSecret
    private static let types: Set<String> = ["X25519", "mlkem768x25519", "ssh-ed25519", "ssh-rsa"]

    init(kind: String, secret: AgentSecret) {
        self.kind = kind
        self.secret = secret
    }

    /// Parses once at registration, so a bad key fails the unlock rather than the first file.
    func check() throws { _ = try identity() }

    private func identity() throws -> any Identity {
        try secret.withBytes { raw in
            var bytes = Array(raw)
            defer { zeroize(&bytes) }
            if kind == "x25519" { return try X25519Identity(secretKey: bytes) }
            if kind == "age" {
                let ids = try AgeKeys.parseIdentities(fileContents: bytes)
                return AnyOfIdentities(ids)
            }
            var key = bytes
            var passphrase: [UInt8] = []
            if let nul = bytes.firstIndex(of: 0) {
                key = Array(bytes[..<nul])
                passphrase = Array(bytes[(nul + 1)...])
            }
            defer { zeroize(&key); zeroize(&passphrase) }
            let pass = passphrase
            return try SSHKeys.identity(fromPrivateKey: key) { pass }
        }
    }

    func unwrap(files: [[AgentStanza]], secret pin: [UInt8]?) throws -> [AgentFileResult] {
        try AgentIdentities.unwrap(files, with: try identity(), types: SoftwareAgentIdentity.types)
    }

    func close() {}
}

/// The identities of one age identity file, tried in order.
private struct AnyOfIdentities: Identity {
    let all: [any Identity]
    init(_ all: [any Identity]) { self.all = all }
    func unwrap(_ stanzas: [Stanza]) throws -> FileKey? {
        for id in all { if let key = try id.unwrap(stanzas) { return key } }
        return nil
    }
}

/// A YubiKey slot: `piv-p256` and `p256tag` stanzas for a P-256 slot (`age1yubikey1…` or
/// `age1tag1…` recipient), age's own `X25519` stanzas for an X25519 slot (firmware 5.7+, plain
/// `age1…` recipient); the ECDH is on the card either way. The PIN the plugin
/// relayed (`request-secret`) is handed to the card once and not kept. Where pcscd restricts
/// access, the card session is held for the agent's TTL, so with PIN policy `once` one PIN
/// covers the TTL. Where it does not (`PINRetention.resetAfterUse`), a held verified session
/// would be every local user's card: the session ends (and the card is reset) after each
/// request, so the age client asks for the PIN once per request (per file, for one plugin run
/// per file). Asking beats refusing the slot: the agent stays usable, and nothing stays verified.
final class CardAgentIdentity: AgentIdentity {
    private var identity: (any Identity)!
    private var release: () -> Void = {}
    private var types: Set<String> = []
    private var serial: UInt32 = 0
    /// The PIN of the current request, if the user typed one; read by the PIN provider.
    private var pending: [UInt8]?
    /// Who asks in the current request (IdentityAgent sets it around each unwrap).
    private var asker: AgentAsker?

    func setAsker(_ asker: AgentAsker?) { self.asker = asker }

    init(descriptor: String) throws {
        let parts = descriptor.split(separator: " ").map(String.init)
        guard parts.count == 3, let serial = UInt32(parts[0]), let slot = PIVSlot(parsing: parts[1]) else {
            throw AgentIdentityError.failed("bad YubiKey descriptor '\(descriptor.prefix(80))': expected 'SERIAL SLOT RECIPIENT'")
        }
        self.serial = serial
        let pins: PINProvider = { [unowned self] request in
            guard let pin = pending else {
                var prompt = request.prompt
                while prompt.hasSuffix(" ") || prompt.hasSuffix(":") { prompt.removeLast() }
                throw AgentIdentityError.needSecret(prompt: prompt)
            }
            pending = nil
            return pin
        }
        // After half a second of waiting for a touch: the daemon's log and the desktop (it has no terminal).
        let touch: TouchNotifier = { [unowned self] serial in
            let text = "touch your YubiKey (serial \(serial), slot \(parts[1])): \(asker?.phrase ?? "requested through the identity agent")"
            DaemonServer.standardErrorLog(text)
            DesktopNotification.send(summary: "keyrack", body: text)
        }
        if let key = try? YubiKeyRecipientType.parse(parts[2]).key {
            let stub = try YubiKeyStub(serial: serial, slot: slot, recipient: key)
            let card = YubiKeyIdentity(stub: stub, pinProvider: pins, touchNotifier: touch, holdsCard: true, recipient: key)
            identity = card
            release = { card.releaseCard() }
            types = [PIVP256.stanzaType, P256Tag.stanzaType]
        } else if let key = try? X25519Recipient(string: parts[2]) {
            // Firmware 5.7's X25519 slot: its recipient is a plain `age1…` (issue 28).
            let card = YubiKeyX25519Identity(serial: serial, slot: slot, recipient: key, pinProvider: pins, touchNotifier: touch, holdsCard: true)
            identity = card
            release = { card.releaseCard() }
            types = [X25519Unwrap.stanzaType]
        } else {
            throw AgentIdentityError.failed("bad YubiKey descriptor '\(descriptor.prefix(80))': the recipient is neither a P-256 (age1yubikey1…, age1tag1…) nor an X25519 (age1…) key")
        }
    }

    func unwrap(files: [[AgentStanza]], secret: [UInt8]?) throws -> [AgentFileResult] {
        pending = secret
        defer {
            if pending != nil { zeroize(&pending!) }
            pending = nil
            if PINRetentionPolicy.current == .resetAfterUse { release() }
        }
        do {
            return try AgentIdentities.unwrap(files, with: identity, types: types)
        } catch let error as PIVError {
            throw AgentIdentityError.failed("YubiKey \(serial): \(error)")
        }
    }

    func close() { release() }
}

/// A TPM key: `p256tag` stanzas, ECDH_ZGen on the TPM. A key with a PIN asks for it through the
/// age client the first time (`request-secret`, relayed by the plugin), and keeps it in locked
/// memory once it worked, so age, sops and rage decrypt with one PIN per agent TTL; a wrong PIN
/// is reported with the TPM's counter and never retried. Relock and expiry forget it.
final class TPMAgentIdentity: AgentIdentity {
    private var identity: TPMIdentity!
    /// The PIN of the current request, if the user typed one; read by the PIN provider.
    private var pending: [UInt8]?

    init(descriptor: String) throws {
        let parts = descriptor.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2, let stub = try? TPMStub(string: parts[0]) else {
            throw AgentIdentityError.failed("bad TPM descriptor '\(descriptor.prefix(40))…'")
        }
        identity = TPMIdentity(stub: stub, client: TPMClient(tcti: parts[1]), pinProvider: { [unowned self] tries in
            guard let pin = pending else {
                throw AgentIdentityError.needSecret(prompt: TPMPrompt.request(triesLeft: tries))
            }
            pending = nil
            return pin
        }, cachesPIN: true)
    }

    func unwrap(files: [[AgentStanza]], secret: [UInt8]?) throws -> [AgentFileResult] {
        pending = secret
        defer { if pending != nil { zeroize(&pending!) }; pending = nil }
        do {
            return try AgentIdentities.unwrap(files, with: identity, types: [P256Tag.stanzaType])
        } catch let error as TPMError {
            throw AgentIdentityError.failed("TPM: \(error)")
        }
    }

    func close() { identity.forgetPIN() }
}
