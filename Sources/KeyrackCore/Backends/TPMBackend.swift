import AgeFormat
import AgeTPM
import AgeYubiKey
import Foundation
import SecretBytes
import TPM
#if canImport(Glibc)
import Glibc
#endif

/// `via: tpm`: a P-256 key made inside this machine's TPM 2.0 under the storage root key. The
/// recipient is the key's `age1tag1…` (p256tag, AgeYubiKey's format: age ≥ 1.3 and
/// age-plugin-tpm encrypt to it); the identity is the key sealed by the TPM, in
/// KEYRACK_HOME/identities/OWNER.tpm.txt (0600, age-plugin-tpm's AGE-PLUGIN-TPM-1 encoding),
/// useless on any other machine. Unlock costs one TPM2_ECDH_ZGen; with PIN policy `once` the
/// key's authValue is the PIN, asked as a YubiKey PIN is (prompt, --pin-stdin, --pin-file).
struct TPMBackend: RecipientBackend {
    var via: Via { .tpm }

    func setUp(_ request: RecipientSetupRequest) throws -> RecipientSetup {
        guard case .tpm(let spec) = request.spec else { preconditionFailure("TPMBackend given a \(request.spec.via) spec") }
        let url = request.home.tpmIdentity(request.owner)
        // An identity file already there (an earlier init that failed later) is reused, never overwritten.
        if FileSystem.exists(url) { return setup(try TPMIdentityFiles.read(url.path), path: url.path, created: false) }
        let tcti = TPMClient.tcti(environment: ProcessInfo.processInfo.environment)
        var pin: [UInt8] = []
        defer { wipe(&pin) }
        if spec.pinPolicy(for: request.owner) == .once {
            pin = try request.interaction.secret(.pin(prompt: "Choose a PIN for the TPM key of keyrack owner \(request.owner) (up to \(TPMClient.maxPINBytes) bytes): "))
            guard !pin.isEmpty else { throw KeyrackError.usage("an empty PIN was given", .giveAPIN) }
        }
        let key = try tpm { try TPMClient(tcti: tcti).createKey(pin: pin) }
        let file = TPMIdentityFile(stub: TPMStub(key: key), tcti: tcti)
        try request.home.ensureDirectory("identities")
        let text = file.text(owner: request.owner.value, created: Date())
        guard try FileSystem.createExclusively(Array(text.utf8), at: url, mode: 0o600) else {
            // A concurrent init of the same owner made one first: use that one.
            return setup(try TPMIdentityFiles.read(url.path), path: url.path, created: false)
        }
        return setup(file, path: url.path, created: true)
    }

    private func setup(_ file: TPMIdentityFile, path: String, created: Bool) -> RecipientSetup {
        let pubkey = file.stub.recipient.string
        return RecipientSetup(pubkey: pubkey, location: RecipientLocation(label: RecipientLabel.primary, via: .tpm, pubkey: pubkey, identity: .file(path)),
                              createdIdentity: created)
    }

    func recipient(publicKey: String) throws -> any Recipient {
        do { return try P256TagRecipient(string: publicKey) } catch {
            throw KeyrackError.usage("invalid TPM recipient '\(publicKey.prefix(24))…': \(error)")
        }
    }

    func identity(for record: RecipientLocation, interaction: Interaction) throws -> any Identity {
        guard let path = record.identityPath else {
            throw KeyrackError(.wrongIdentity, "no TPM identity file is recorded for recipient \(record.label) (\(record.pubkey.prefix(24))…)")
        }
        let file = try TPMIdentityFiles.read(path)
        guard file.stub.recipient.string == record.pubkey else {
            throw KeyrackError(.wrongIdentity, "the TPM identity \(path) holds another key than recipient \(record.label) (\(record.pubkey.prefix(24))…): restore the owner's own identity file")
        }
        return TPMBackend.identity(file, interaction: interaction)
    }

    /// The TPM identity of `file`, its PIN asked through `interaction` (a prompt with "PIN" in
    /// it, which --pin-stdin and --pin-file answer).
    static func identity(_ file: TPMIdentityFile, interaction: Interaction, cachesPIN: Bool = false) -> any Identity {
        identity(file, pin: { tries in try interaction.secret(.pin(prompt: TPMPrompt.pin(triesLeft: tries))) }, cachesPIN: cachesPIN)
    }

    static func identity(_ file: TPMIdentityFile, pin: @escaping TPMPINProvider, cachesPIN: Bool = false) -> any Identity {
        let client = TPMClient(tcti: TPMClient.tcti(environment: ProcessInfo.processInfo.environment, recorded: file.tcti))
        return TPMErrors(TPMIdentity(stub: file.stub, client: client, pinProvider: pin, cachesPIN: cachesPIN))
    }
}

/// TPM failures (no TPM, wrong PIN, lockout, lost mid-command) are `KeyrackError.card` (exit 5),
/// carrying the TPM error itself.
func tpm<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as TPMError {
        throw KeyrackError(.card, "\(error)", tpmFailure: error)
    }
}

/// Wraps a TPM identity so its TPM errors surface as card errors with their own message.
struct TPMErrors: Identity {
    let inner: any Identity
    init(_ inner: any Identity) { self.inner = inner }
    func unwrap(_ stanzas: [Stanza]) throws -> FileKey? { try tpm { try inner.unwrap(stanzas) } }
}

/// A TPM owner's identity file, read with the checks every command makes.
public enum TPMIdentityFiles {
    /// Reads a TPM identity file, which must be a regular file of the caller's with no group or
    /// other access: the sealed key is useless elsewhere, but another local user holding it could
    /// spend this TPM's dictionary-attack tries guessing the PIN, or decrypt with a PIN-less key.
    public static func read(_ path: String) throws -> TPMIdentityFile {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            throw KeyrackError(.wrongIdentity, "the TPM identity file \(path) is missing: restore it from a backup, or unlock with a backup recipient")
        }
        guard st.st_mode & S_IFMT == S_IFREG else { throw KeyrackError.usage("the TPM identity file \(path) is not a regular file") }
        guard st.st_uid == getuid() else {
            throw KeyrackError.usage("the TPM identity file \(path) belongs to uid \(st.st_uid), not to you (uid \(getuid())): keep it in a file only you own")
        }
        guard st.st_mode & 0o077 == 0 else {
            throw KeyrackError.usage("the TPM identity file \(path) has mode \(String(st.st_mode & 0o777, radix: 8)), open to others: run `chmod 600 \(path)`")
        }
        let bytes = try KeyFile.read(path, what: "TPM identity file")
        do { return try TPMIdentityFile(text: String(decoding: bytes, as: UTF8.self)) } catch let error as AgeError {
            throw KeyrackError.damaged("\(path) is not a usable TPM identity file: \(error.reason)")
        }
    }
}
