import ArgumentParser
import KeyrackApp
import KeyrackDaemon
#if canImport(Glibc)
import Glibc
#endif

/// `keyrack daemon stop`: asks the owner's daemon to wipe its grants and exit, and waits until
/// its socket is gone.
struct DaemonStopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop an owner's daemon (all its keys become locked)."
    )

    @OptionGroup var options: OwnerOptions

    func run() throws {
        let (effect, text) = try DaemonStopCommand.stop(owner: options.owner)
        report(effect: effect, text)
    }

    /// Stops `owner`'s daemon and waits until it is gone: ("stopped"|"not-running", sentence).
    /// Shared with `daemon prune`.
    static func stop(owner: String) throws -> (effect: String, text: String) {
        let client = DaemonClient(owner: owner)
        // Opened before the daemon is asked to stop (it unlinks the file as it exits): its lock
        // coming free is the daemon gone, grants wiped (DaemonExit).
        let exit = DaemonExit(client.runtime, owner: owner)
        do {
            _ = try client.send(.stop)
        } catch DaemonError.noDaemon {
            return ("not-running", "no daemon is running for '\(owner)'")
        } catch DaemonError.orphaned(_, let pid) {
            _ = try OrphanedDaemon.stop(client.runtime, owner: owner, pid: pid)
            return ("stopped", "stopped the daemon of '\(owner)' (pid \(pid), found through its pid file: its socket had been removed)")
        }
        let gone: Bool
        if let exit {
            gone = exit.wait(milliseconds: 8000) != nil
        } else {
            // No pid file to wait on (a daemon run by hand without one): its socket going away.
            let deadline = Clock.bootMilliseconds() + 5000
            while access(client.socketPath, F_OK) == 0 && Clock.bootMilliseconds() < deadline { usleep(5_000) }
            gone = access(client.socketPath, F_OK) != 0
        }
        guard gone else {
            throw CommandFailure("the daemon of '\(owner)' did not exit within 8 s; see \(client.runtime.logFile(owner: owner))")
        }
        return ("stopped", "stopped the daemon of '\(owner)'")
    }

    /// `{"owner":…,"effect":"stopped"|"not-running"}` with --json, else the sentence.
    private func report(effect: String, _ text: String) {
        if options.json {
            JSONLine.print(DaemonStopJSON(owner: options.owner, effect: effect))
        } else {
            Output.line(text)
        }
    }
}
