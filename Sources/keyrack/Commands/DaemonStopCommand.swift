import ArgumentParser
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
        let client = DaemonClient(owner: options.owner)
        // Opened before the daemon is asked to stop (it unlinks the file as it exits): its lock
        // coming free is the daemon gone, grants wiped (DaemonExit).
        let exit = DaemonExit(client.runtime, owner: options.owner)
        do {
            _ = try client.send(.stop)
        } catch DaemonError.noDaemon {
            report(effect: "not-running", "no daemon is running for '\(options.owner)'")
            return
        } catch DaemonError.orphaned(_, let pid) {
            _ = try OrphanedDaemon.stop(client.runtime, owner: options.owner, pid: pid)
            report(effect: "stopped", "stopped the daemon of '\(options.owner)' (pid \(pid), found through its pid file: its socket had been removed)")
            return
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
            throw CommandFailure("the daemon of '\(options.owner)' did not exit within 8 s; see \(client.runtime.logFile(owner: options.owner))")
        }
        report(effect: "stopped", "stopped the daemon of '\(options.owner)'")
    }

    /// `{"owner":…,"effect":"stopped"|"not-running"}` with --json, else the sentence.
    private func report(effect: String, _ text: String) {
        if options.json {
            Output.line("{\"owner\":\(TextFormat.json(options.owner)),\"effect\":\(TextFormat.json(effect))}")
        } else {
            Output.line(text)
        }
    }
}
