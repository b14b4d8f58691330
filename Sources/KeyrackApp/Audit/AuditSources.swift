#if canImport(Glibc)
import Glibc
#endif
import KeyrackClient
import KeyrackCore
import KeyrackDaemon
import KeyrackNames

/// Where `keyrack audit` reads from, and what `audit verify --manifest` checks against.
public enum AuditSources {
    /// The owner's log under `home` (KEYRACK_HOME), or under `runtime` when only there: a daemon
    /// that could not write KEYRACK_HOME kept its log in the runtime directory.
    public static func files(owner: String, home: String? = AuditLog.homeFromEnvironment(),
                             runtime: String = RuntimeDirectory.current().path) throws -> AuditRecords.Files {
        guard let home else { throw CommandFailure("HOME is not set: set HOME or KEYRACK_HOME") }
        let chosen = access(AuditLog.logPath(home: home, owner: owner), F_OK) != 0 && access(AuditLog.logPath(home: runtime, owner: owner), F_OK) == 0
            ? runtime : home
        do { return try AuditRecords.read(home: chosen, owner: owner) } catch { throw CommandFailure(error.description) }
    }

    /// The keys `audit verify --manifest` checks against, from one opening of the owner's
    /// manifest (a YubiKey owner touches once): the checkpoint public key (hex) and the card's
    /// or TPM's (`audit anchor`), nil when none. The key the log itself names proves nothing (a
    /// forger writes their own); the ones in the manifest are reachable only through the owner's
    /// recipients.
    public static func manifestKeys(owner: OwnerName, store: HostManifestStore, identities: ManifestIdentities) throws -> (checkpoint: String, card: String?) {
        let manifest = try store.open(owner, with: identities).manifest
        guard let seed = manifest.auditSeed, let pair = AuditCrypto.signingKey(seed: seed) else {
            throw AuditStepError("the manifest of '\(owner.value)' holds no checkpoint key yet (it gets one at its next set)", then: .verifyWithoutTheManifest)
        }
        return (AuditCrypto.hex(pair.publicKey), manifest.auditCard.map { AuditCrypto.hex($0.publicKey) })
    }
}
