import KeyrackApp
import KeyrackClient
import KeyrackDaemon

/// `daemon status`: a running daemon's line, or the error of one that does not answer (an
/// orphan, with the command that stops it; none, exit 3 "locked").
extension OwnerStatus.Daemon {
    public func failure(owner: String, socket: String) -> (any CLIReportable)? {
        switch self {
        case .orphaned(let pid):
            CommandFailure("daemon of '\(owner)': pid \(pid) is running, but its socket \(socket) was removed, so no client can reach it: stop it with \(fix: "keyrack daemon stop\(Fix.ownerFlag(owner))")")
        case .none:
            NotGranted(message: "no daemon is running for '\(owner)' (socket \(socket))", code: "locked", fix: nil)
        case .running:
            nil
        }
    }
}

extension DaemonStatus {
    public func line(socket: String) -> String {
        "daemon of '\(owner)': pid \(pid), socket \(socket), admits uid \(allowedUID), \(grants.count) grant(s)"
    }
}
