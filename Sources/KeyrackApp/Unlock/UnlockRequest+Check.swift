import KeyrackCore
import KeyrackNames

extension UnlockRequest {
    /// What makes an unlock's words unusable, found before anything is opened or asked. The
    /// problem only: the CLI words each with its flags.
    public enum Problem: Error, Equatable {
        /// The identity agent may not live this long: at most `capSeconds`, an owner's longest grant.
        case agentOutlivesCap(duration: String, capSeconds: Int)
        /// Neither an env nor the identity agent.
        case nothingToUnlock
        /// One key, and no env to find it in.
        case keyWithoutEnv
        case invalidEnv(String)
        /// sudo keys are unlocked one at a time.
        case sudoNeedsKey
        /// The duration does not parse; the core's words.
        case badDuration(String)
    }

    /// The words of an unlock checked, the first problem found, nil when they are usable.
    /// `identityAgent` is the flag as given (an unlock without env starts the agent only when asked).
    public static func check(env: String?, key: String?, duration: String?, identityAgent: Bool) -> Problem? {
        let seconds = duration.map { given in Result { try KeyrackCore.Duration(given).seconds } }
        let cap = UnlockPlan.identityAgentCapSeconds(manifestHoldsSudoKeys: false)
        if identityAgent, let duration, case .success(let s)? = seconds, s > cap { return .agentOutlivesCap(duration: duration, capSeconds: cap) }
        if let env {
            guard NameRules.isValidEnv(env) else { return .invalidEnv(env) }
            if env == EnvName.sudo && key == nil { return .sudoNeedsKey }
        } else {
            if !identityAgent { return .nothingToUnlock }
            if key != nil { return .keyWithoutEnv }
        }
        if case .failure(let error)? = seconds { return .badDuration((error as? KeyrackError)?.message ?? "\(error)") }
        return nil
    }
}
