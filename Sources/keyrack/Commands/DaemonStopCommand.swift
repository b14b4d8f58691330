import ArgumentParser
import KeyrackApp
import KeyrackClient

/// `keyrack daemon stop`: asks the owner's daemon to wipe its grants and exit, and waits until
/// its socket is gone.
struct DaemonStopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop an owner's daemon (all its keys become locked)."
    )

    @OptionGroup var options: OwnerOptions

    func run() throws {
        let outcome = try DaemonStop.stop(owner: options.owner)
        options.answer(DaemonStopJSON(owner: options.owner, effect: outcome.effect)) { Output.line(Self.text(outcome, owner: options.owner)) }
    }

    /// What a stop did, as `daemon stop` and `daemon prune` say it.
    static func text(_ outcome: DaemonStop.Outcome, owner: String) -> String {
        switch outcome {
        case .notRunning: return "no daemon is running for '\(owner)'"
        case .stopped: return "stopped the daemon of '\(owner)'"
        case .stoppedOrphan(let pid): return "stopped the daemon of '\(owner)' (pid \(pid), found through its pid file: its socket had been removed)"
        }
    }
}
