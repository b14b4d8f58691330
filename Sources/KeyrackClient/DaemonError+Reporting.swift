#if canImport(Glibc)
import Glibc
#endif
import KeyrackDaemon

// How the daemon commands (get, exec, source, status, relock, unlock, daemon) report a daemon
// failure: its exit code and one line that names the next command (Fix.swift). No Foundation
// here: this is on the path of `keyrack get`, in the front end and in the full CLI alike.

extension DaemonError: CLIReportable {
    public var cliMessage: String { "error: \(cliLine.text)" }
    public var fixCommand: String? { cliLine.fix }

    /// The line, with the command that fixes it marked (ErrorLine).
    var cliLine: ErrorLine {
        switch self {
        case .noDaemon(let owner, _):
            return "every key of '\(owner)' is locked (no daemon is running): run \(fix: "keyrack unlock\(Fix.ownerFlag(owner)) --env ENV")"
        case .denied(_, let reason):
            return "\(reason). Run keyrack as the user who owns these keys."
        case .protocolError(.unsupportedVersion, _):
            return "\(description); the daemon runs another keyrack version: run \(fix: "keyrack daemon stop\(Fix.ownerFlag(ownerName ?? "human"))") and unlock again"
        case .malformed(let what) where what.contains("protocol version"):
            return "\(description); the daemon runs another keyrack version: run \(fix: "keyrack daemon stop") and unlock again"
        case .orphaned(let owner, _):
            return "\(description): run \(fix: "keyrack daemon stop\(Fix.ownerFlag(owner))"), which stops it and wipes its keys"
        case .protocolError(.busy, let message):
            return "the daemon is busy: \(message)"
        case .notReachableFromSandbox:
            return "\(description): ask for it outside the sandbox"
        case .sandboxRefused(let owner, _):
            return "\(description): run the program with \(fix: "keyrack exec\(Fix.ownerFlag(owner)) --sandbox -- …")"
        case .malformed(let what) where what.contains("truncated") || what.contains("closed the connection"):
            return "the daemon broke off its answer (\(what)): if this repeats, see its log under \(fix: "keyrack daemon status")"
        default:
            return "\(description)"
        }
    }

    public var errorCode: String {
        if case .noDaemon = self { return "locked" }
        return ErrorReport.code(forExit: exitCode)
    }

    public var exitCode: Int32 {
        switch self {
        case .noDaemon, .orphaned: return ExitStatus.notGranted
        case .protocolError(.busy, _): return ExitStatus.failure
        case .denied, .untrustedDaemon, .unsafeRuntimeDirectory, .notReachableFromSandbox, .sandboxRefused: return ExitStatus.denied
        default: return ExitStatus.failure
        }
    }
}

extension DaemonError {
    /// The owner a `.noDaemon`/`.denied`/`.orphaned` error names, for the fix it prints.
    var ownerName: String? {
        switch self {
        case .noDaemon(let owner, _), .denied(let owner, _), .orphaned(let owner, _): return owner
        default: return nil
        }
    }
}
