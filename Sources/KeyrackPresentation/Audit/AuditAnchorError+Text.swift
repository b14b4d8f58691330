import KeyrackApp

/// `audit anchor`'s refusals in its options' words (the command throws them as usage errors).
extension AuditAnchorError {
    public var cliText: String {
        switch self {
        case .unknownSigner(let via): "invalid --via '\(via.prefix(10))': \(fix)"
        case .slotForTPM: "--slot names a YubiKey slot: give it without --via tpm"
        case .invalidSlot(let slot): "invalid --slot '\(slot.prefix(10))': \(fix)"
        }
    }
}
