import KeyrackApp

/// `yubikey setup`'s refusals in its options' words.
extension CardKeySetup.Problem {
    public var cliText: String {
        switch self {
        case .slotNotUsable: "--slot must be a retired slot, 82–95 (or 1–20), or 9a for a login key"
        case .outputExists(let path): "'\(path)' already exists: choose another -o path (an identity file is never overwritten)"
        }
    }
}
