import Foundation
import KeyrackClient
import KeyrackCore
import TPM

/// `keyrack audit anchor --via tpm`: makes a P-256 ECDSA key in a TPM owner's TPM (under the
/// storage root key, as its ECDH key; with the owner's TPM PIN when its key has one) and records
/// its public key and the sealed key in the owner's encrypted manifest (`audit.cardKey`,
/// `audit.tpm*`). From then on each unlock has the TPM sign the access log's head
/// (AuditTPMCheckpoint), and `audit verify --manifest` requires this key of every card checkpoint.
public enum AuditTPMAnchor {
    public static func run(owner: OwnerName, store: HostManifestStore, interaction: Interaction,
                           identities: () throws -> ManifestIdentities,
                           environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AuditCardKey {
        let path = store.home.tpmIdentity(owner).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw AuditStepError("'\(owner.value)' is not a TPM owner here (no \(path))", then: .anchorOnTheCard)
        }
        let file = try TPMIdentityFiles.read(path)
        let client = TPMClient(tcti: TPMClient.tcti(environment: environment, recorded: file.tcti))
        // The PIN (when the owner's key has one) is asked before the manifest is opened, so the
        // prompts come in the order the TPM needs them.
        var pin: [UInt8] = []
        defer { pin.withUnsafeMutableBytes { if let b = $0.baseAddress { memset(b, 0, $0.count) } } }
        if file.stub.key.hasPIN {
            pin = try interaction.secret(.pin(prompt: "The TPM PIN of keyrack owner \(owner.value), for its access-log key: "))
            guard !pin.isEmpty else { throw CommandFailure("an empty PIN was given: give the owner's TPM PIN") }
        }
        let sealed: TPMSealedKey
        do { sealed = try client.createSigningKey(pin: file.stub.key.hasPIN ? pin : nil) } catch {
            throw AuditStepError("the TPM could not make the access log's signing key (\(error))", then: .checkTheMachine)
        }
        let key = AuditCardKey(slot: AuditCardKey.tpmSlot, serial: nil, publicKey: sealed.point,
                               tpm: AuditTPMKey(publicBlob: sealed.publicBlob, privateBlob: sealed.privateBlob,
                                                parentName: sealed.parentName, hasPIN: sealed.hasPIN))
        try store.update(owner: owner, identities: try identities()) { manifest, _ in
            guard manifest.owner.via == .tpm else {
                throw AuditStepError("'\(owner.value)' is a \(manifest.owner.via.rawValue) owner, not a TPM one", then: .anchorOnTheCard)
            }
            manifest.auditCard = key
        }
        return key
    }
}
