import ArgumentParser
import KeyrackApp
import KeyrackDaemon
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
        let (effect, text) = Self.describe(try DaemonStop.stop(owner: options.owner), owner: options.owner)
        report(effect: effect, text)
    }

    /// What a stop did, as `daemon stop` and `daemon prune` say it: (stopped|not-running, sentence).
    static func describe(_ outcome: DaemonStop.Outcome, owner: String) -> (effect: String, text: String) {
        switch outcome {
        case .notRunning: return ("not-running", "no daemon is running for '\(owner)'")
        case .stopped: return ("stopped", "stopped the daemon of '\(owner)'")
        case .stoppedOrphan(let pid): return ("stopped", "stopped the daemon of '\(owner)' (pid \(pid), found through its pid file: its socket had been removed)")
        }
    }

    private func report(effect: String, _ text: String) {
        if options.json {
            JSONLine.print(DaemonStopJSON(owner: options.owner, effect: effect))
        } else {
            Output.line(text)
        }
    }
}
