import KeyrackApp

/// What a stop did, as `daemon stop` and `daemon prune` say it.
extension DaemonStop.Outcome {
    public func line(owner: String) -> String {
        switch self {
        case .notRunning: return "no daemon is running for '\(owner)'"
        case .stopped: return "stopped the daemon of '\(owner)'"
        case .stoppedOrphan(let pid): return "stopped the daemon of '\(owner)' (pid \(pid), found through its pid file: its socket had been removed)"
        }
    }

    /// `daemon prune --all` when no daemon of this user runs.
    public static let noneRunning = "no daemon is running for any owner"
}
