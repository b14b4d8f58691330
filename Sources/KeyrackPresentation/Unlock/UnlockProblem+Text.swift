import KeyrackApp

/// unlock's refusals in its options' words (the command throws them as usage errors).
extension UnlockRequest.Problem {
    public var cliText: String {
        switch self {
        case .agentOutlivesCap(let duration, let cap):
            "--duration \(duration) is longer than the identity agent may live (\(cap / 3600)h, an owner's longest grant): give --duration \(cap / 3600)h or less"
        case .nothingToUnlock: "missing --env: name the env to unlock (or pass --identity-agent to start only the identity agent)"
        case .keyWithoutEnv: "--key needs --env"
        case .invalidEnv(let env): "invalid --env '\(env.prefix(40))': use sudo, prod, prep, test, all or a lowercase name"
        case .sudoNeedsKey: "sudo keys are unlocked one at a time: add --key KEY (e.g. keyrack unlock --env sudo --key GITHUB_TOKEN)"
        case .badDuration(let why): why
        }
    }
}
