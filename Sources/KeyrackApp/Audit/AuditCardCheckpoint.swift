import AgeYubiKey
import KeyrackCore
import KeyrackDaemon
import PIV

/// At each unlock of an owner whose manifest names a card slot for the access log
/// (`audit.cardSlot`, set by `keyrack audit anchor`), the card signs the log's head: the daemon
/// says the head (AUDIT_HEAD), the card signs it, the daemon appends the signature as a
/// `card-checkpoint` record (AUDIT_CARD_CHECKPOINT: the daemon knows no card, it only records).
/// Edits before that record are then detected even by one who holds the manifest's Ed25519
/// checkpoint seed, as long as they do not also hold the card (docs/audit.md).
///
/// It never stops an unlock (the keys are already handed over): what cannot be done is skipped
/// with a note. The slot's PIN and touch policies hold; its PIN comes only from where the
/// unlock's PIN comes (`--pin-file`, `--pin-stdin`, the terminal), so a robot without one is not
/// asked: the checkpoint waits for an unlock that has the PIN.
public enum AuditCardCheckpoint {
    public enum Outcome: Equatable, Sendable {
        /// The card signed the head at record `seq`.
        case signed(seq: UInt64, serial: UInt32, slot: String)
        /// The owner's TPM signed the head at record `seq` (AuditTPMCheckpoint).
        case tpmSigned(seq: UInt64)
        /// Not this time: why, and what makes the next one happen.
        case skipped(String, then: AuditStep? = nil)
    }

    public static func run(owner: String, card: AuditCardKey, daemon: any OwnerDaemonPort, interaction: Interaction) -> Outcome {
        if let tpm = card.tpm { return AuditTPMCheckpoint.run(owner: owner, card: card, tpmKey: tpm, daemon: daemon, interaction: interaction) }
        guard let slot = PIVSlot(parsing: card.slot) else { return .skipped("audit.cardSlot '\(card.slot.prefix(8))' is not a PIV slot", then: .anchorCard(slot: "9a")) }
        guard case .auditHead(let seq, let head)? = try? daemon.send(owner: owner, .auditHead) else {
            return .skipped("the daemon of '\(owner)' did not give its log's head", then: .restartDaemon)
        }
        let piv: PIVCard
        do { piv = try PIVCards.open(serial: card.serial) } catch { return .skipped("the YubiKey is not at hand (\(error))") }
        defer { piv.close() }
        let serial = piv.serial
        let signature: [UInt8]
        do {
            let info = try piv.p256Key(slot)
            guard info.publicKey == card.publicKey else {
                return .skipped("YubiKey \(serial) slot \(slot) holds another key than the manifest records", then: .anchorCard(slot: "\(slot)"))
            }
            do {
                try CardPIN.satisfy(on: piv, slot: slot, policy: info.pinPolicy, provider: { try interaction.secret(.pin(prompt: $0.prompt)) })
            } catch {
                return .skipped("slot \(slot) needs its PIN and none is at hand", then: .unlockWithThePIN)
            }
            signature = try piv.sign(slot: slot, digest: AuditCrypto.cardCheckpointDigest(owner: owner, seq: seq, head: head),
                                     policies: (info.pinPolicy, info.touchPolicy), touchWait: { TouchPrompt.notifier(serial) })
        } catch {
            return .skipped("YubiKey \(serial) slot \(slot) did not sign (\(error))")
        }
        let record = CardCheckpoint(seq: seq, head: head, signature: signature, publicKey: card.publicKey, slot: "\(slot)", serial: serial)
        guard case .sandboxAccepted? = try? daemon.send(owner: owner, .auditCardCheckpoint(record)) else {
            return .skipped("the daemon of '\(owner)' did not record the card checkpoint")
        }
        return .signed(seq: seq, serial: serial, slot: "\(slot)")
    }
}
