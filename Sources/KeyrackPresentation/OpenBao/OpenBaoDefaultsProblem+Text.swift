import KeyrackApp

/// set-default's refusals in its options' words.
extension OpenBaoDefaultsRequest.Problem {
    public var cliText: String {
        switch self {
        case .invalidSlot(let slot): "invalid --openbao-slot '\(slot)': use 9a, 9c, 9d, 9e or a retired slot 82–95"
        case .mountGivenTwice: "--openbao-jwt-mount and --openbao-auth-mount name the same setting: give one"
        case .nothingToSet: "nothing to set: give at least one --openbao-… option (or --clear-openbao)"
        case .clearWithSettings: "--clear-openbao takes no other option"
        }
    }
}
