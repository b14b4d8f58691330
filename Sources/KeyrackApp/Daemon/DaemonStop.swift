import Foundation
import KeyrackClient
import KeyrackDaemon
import KeyrackNames
#if canImport(Glibc)
import Glibc
#endif

/// `keyrack daemon stop` and `daemon prune`: ends an owner's daemon (every key it holds becomes
/// locked) and waits until it is gone; a daemon that lost its socket is found through its pid file.
public enum DaemonStop {
    public enum Outcome: Equatable {
        case notRunning
        case stopped
        /// Stopped through its pid file: its socket had been removed.
        case stoppedOrphan(pid: Int32)

        /// What `--json` reports as `effect`: stopped or not-running.
        public var effect: String { self == .notRunning ? "not-running" : "stopped" }
    }

    /// `daemon prune`: stops `owners` in order (`--all`: `runningOwners()`); each one's outcome.
    public static func prune(_ owners: [String], stop: (String) throws -> Outcome = { try DaemonStop.stop(owner: $0) }) throws -> [(owner: String, outcome: Outcome)] {
        try owners.map { ($0, try stop($0)) }
    }

    public static func stop(owner: String) throws -> Outcome {
        let client = DaemonClient(owner: owner)
        // Opened before STOP: the daemon's exit report arrives on it, however fast it exits.
        let exit = DaemonExit(client.runtime, owner: owner)
        do {
            _ = try client.send(.stop)
        } catch DaemonError.noDaemon {
            return .notRunning
        } catch DaemonError.orphaned(_, let pid) {
            _ = try OrphanedDaemon.stop(client.runtime, owner: owner, pid: pid)
            return .stoppedOrphan(pid: pid)
        }
        let gone: Bool
        if let exit {
            gone = exit.wait(milliseconds: 8000) != nil
        } else {
            let deadline = Clock.bootMilliseconds() + 5000
            while access(client.socketPath, F_OK) == 0 && Clock.bootMilliseconds() < deadline { usleep(5_000) }
            gone = access(client.socketPath, F_OK) != 0
        }
        guard gone else {
            throw CommandFailure("the daemon of '\(owner)' did not exit within 8 s; see \(client.runtime.logFile(owner: owner))")
        }
        return .stopped
    }

    /// The owners with a daemon socket or pid file in this user's runtime directory.
    public static func runningOwners(runtimeDirectory: String = RuntimeDirectory.current().path) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: runtimeDirectory)) ?? []
        let owners = names.compactMap { name -> String? in
            guard name.hasPrefix("daemon.") else { return nil }
            for suffix in [".sock", ".pid"] where name.hasSuffix(suffix) && !name.hasSuffix(".start.lock") {
                let owner = String(name.dropFirst("daemon.".count).dropLast(suffix.count))
                return NameRules.isValidOwner(owner) ? owner : nil
            }
            return nil
        }
        return Array(Set(owners)).sorted()
    }
}
