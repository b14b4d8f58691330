/// The next step after an access-log checkpoint was skipped or an anchor refused, typed, so this
/// library names no command or option: the CLI words it (AppRefusals+Text); here, plain words.
public enum AuditStep: Equatable, Sendable {
    /// Anchor the log on this card slot again (the manifest's record is stale or unreadable).
    case anchorCard(slot: String)
    /// Anchor the log on the owner's TPM again.
    case anchorTPM
    /// An older daemon runs: stop it, then unlock.
    case restartDaemon
    /// The PIN comes only where the unlock's does: the next unlock that has it signs.
    case unlockWithThePIN
    /// A YubiKey owner anchors on its card's slot, not on a TPM.
    case anchorOnTheCard
    /// The TPM failed: check the machine.
    case checkTheMachine
    /// The slot holds no P-256 key: make one.
    case makeCardKey(slot: String)
    /// An old manifest holds no checkpoint key: verify without it.
    case verifyWithoutTheManifest

    public var words: String {
        switch self {
        case .anchorCard(let slot): "anchor the access log on slot \(slot) again"
        case .anchorTPM: "anchor the access log on the TPM again"
        case .restartDaemon: "an older daemon: stop it, then unlock"
        case .unlockWithThePIN: "the next unlock with the PIN signs"
        case .anchorOnTheCard: "anchor a YubiKey owner's log on its card slot"
        case .checkTheMachine: "check the TPM"
        case .makeCardKey(let slot): "make a P-256 key in slot \(slot)"
        case .verifyWithoutTheManifest: "verify without the manifest"
        }
    }
}

/// An anchor or a verification that cannot go on (exit 1): the problem, and the step.
public struct AuditStepError: Error, Equatable, Sendable, CustomStringConvertible {
    public var problem: String
    public var step: AuditStep
    public init(_ problem: String, then step: AuditStep) { (self.problem, self.step) = (problem, step) }
    public var description: String { "\(problem): \(step.words)" }
}
