import Crypto
import Foundation
import KeyrackCore
import KeyrackDaemon
import TPM

/// A TPM owner's card checkpoint: at unlock the TPM's access-log signing key (made by `keyrack
/// audit anchor --via tpm`, recorded sealed in the manifest) signs the log's head, the same
/// digest a YubiKey signs (AuditCrypto.cardCheckpointDigest), and the daemon appends it as a
/// `card-checkpoint` record with slot `tpm`. `audit verify` checks it as it checks a card's: a
/// P-256 ECDSA signature by the key the manifest records.
///
/// Like the card's, it never stops an unlock: what cannot be done is skipped with a note. A key
/// with a PIN (the owner's TPM PIN) is used only with a PIN from where the unlock's comes.
enum AuditTPMCheckpoint {
    static func run(owner: String, card: AuditCardKey, tpmKey: AuditTPMKey, daemon: any OwnerDaemonPort,
                    interaction: Interaction, environment: [String: String] = ProcessInfo.processInfo.environment) -> AuditCardCheckpoint.Outcome {
        let key: TPMSealedKey
        do {
            key = try TPMSealedKey(publicBlob: tpmKey.publicBlob, privateBlob: tpmKey.privateBlob, parentName: tpmKey.parentName, hasPIN: tpmKey.hasPIN)
        } catch {
            return .skipped("the manifest's TPM signing key does not parse (\(error))", then: .anchorTPM)
        }
        guard key.point == card.publicKey else {
            return .skipped("the manifest's TPM signing key is not its audit.cardKey", then: .anchorTPM)
        }
        guard case .auditHead(let seq, let head)? = try? daemon.send(owner: owner, .auditHead) else {
            return .skipped("the daemon of '\(owner)' did not give its log's head", then: .restartDaemon)
        }
        var pin: [UInt8] = []
        defer { pin.withUnsafeMutableBytes { if let b = $0.baseAddress { memset(b, 0, $0.count) } } }
        if key.hasPIN {
            guard let given = try? interaction.secret(.pin(prompt: TPMPrompt.pin(triesLeft: nil))), !given.isEmpty else {
                return .skipped("the TPM signing key needs the owner's TPM PIN and none is at hand", then: .unlockWithThePIN)
            }
            pin = given
        }
        let signature: [UInt8]
        do {
            let rs = try TPMClient(tcti: tcti(owner: owner, environment: environment)).sign(
                key, digest: AuditCrypto.cardCheckpointDigest(owner: owner, seq: seq, head: head), pin: key.hasPIN ? pin : nil)
            // The verifier reads DER, as a YubiKey's signatures come.
            signature = Array(try P256.Signing.ECDSASignature(rawRepresentation: rs).derRepresentation)
        } catch {
            return .skipped("the TPM did not sign (\(error))")
        }
        let record = CardCheckpoint(seq: seq, head: head, signature: signature, publicKey: card.publicKey, slot: AuditCardKey.tpmSlot, serial: 0)
        guard case .sandboxAccepted? = try? daemon.send(owner: owner, .auditCardCheckpoint(record)) else {
            return .skipped("the daemon of '\(owner)' did not record the TPM checkpoint")
        }
        return .tpmSigned(seq: seq)
    }

    /// The TPM the owner's manifest opens with: KEYRACK_TPM_TCTI, else the TCTI its identity file
    /// records (as anchor and the manifest's identity choose it), else /dev/tpmrm0.
    private static func tcti(owner: String, environment: [String: String]) -> String {
        let recorded = (try? KeyrackHome.fromEnvironment(environment)).flatMap { home in
            (try? OwnerName(owner)).flatMap { try? TPMIdentityFiles.read(home.tpmIdentity($0).path).tcti }
        }
        return TPMClient.tcti(environment: environment, recorded: recorded)
    }
}
