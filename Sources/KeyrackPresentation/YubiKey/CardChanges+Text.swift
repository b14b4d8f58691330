import KeyrackApp

/// What the card commands say when done: a PIN or PUK changed, the management key replaced.
extension CardReferenceChange {
    public var doneLine: String {
        switch self {
        case .changePIN: "PIN changed"
        case .changePUK: "PUK changed"
        case .unblockPIN: "PIN unblocked and changed"
        }
    }
}

extension ManagementKeyRotation.Result {
    public var line: String { "management key replaced (\(algorithm), PIN-protected)" }
}
