/// Everything that can go wrong between a keyrack client and an owner's daemon. The client side
/// distinguishes the three cases a caller acts on differently: no daemon (the owner is locked),
/// denied (wrong uid; nothing to retry), and a protocol problem (a bug or a version skew).
public enum DaemonError: Error, Equatable, CustomStringConvertible {
    /// No daemon listens for this owner: every key is locked until `keyrack unlock`.
    case noDaemon(owner: String, socket: String)
    /// The daemon refused this caller (SO_PEERCRED uid mismatch), or the socket is not ours to open.
    case denied(owner: String, reason: String)
    /// A frame did not parse; the text names the field.
    case malformed(String)
    /// The daemon answered with an error reply.
    case protocolError(ErrorCode, String)
    /// A socket call failed in a way that is none of the above.
    case io(String, errno: Int32)
    /// The runtime directory is unusable (wrong owner, loose mode, path too long).
    case unsafeRuntimeDirectory(String)
    /// The socket answered, but the process behind it (SO_PEERCRED) is not a uid this caller
    /// trusts: a squatter, never to be sent a request or believed.
    case untrustedDaemon(String)
    /// The owner's daemon runs (its pid file is locked) but its socket is gone, so no client
    /// can reach it: only a signal through its pid file ends it.
    case orphaned(owner: String, pid: Int32)
    /// A daemon that was started exited or failed before it answered; the text says why.
    case startFailed(String)
    /// Another daemon already serves this owner.
    case alreadyRunning(owner: String, pid: Int32)
    case outOfSecureMemory
    case tooManyGrants(Int)
    /// The daemon did not answer within the client's deadline.
    case timedOut(String)
    /// Inside `exec --sandbox` for `sandboxOwner`, no other owner's socket exists: that absence
    /// is the fence; KEYRACK_SANDBOX_OWNER only lets the client say so instead of "locked".
    case notReachableFromSandbox(owner: String, sandboxOwner: String)
    /// The daemon of a sandboxed owner refused this process: it is not in the owner's sandbox.
    case sandboxRefused(owner: String, reason: String)

    public var description: String {
        switch self {
        case .noDaemon(let owner, let socket): "no keyrack daemon is running for '\(owner)' (no socket at \(socket))"
        case .denied(let owner, let reason): "denied by the daemon of '\(owner)': \(reason)"
        case .malformed(let what): "malformed frame: \(what)"
        case .protocolError(let code, let message): "daemon error (\(code)): \(message)"
        case .io(let what, let e): "\(what): \(DaemonError.describe(errno: e))"
        case .unsafeRuntimeDirectory(let why): why
        case .untrustedDaemon(let why): why
        case .orphaned(let owner, let pid): "the daemon of '\(owner)' (pid \(pid)) is running but its socket was removed, so nothing can reach it"
        case .startFailed(let why): why
        case .alreadyRunning(let owner, let pid): "a keyrack daemon for '\(owner)' is already running (pid \(pid))"
        case .outOfSecureMemory: "out of locked memory for secrets (sodium_malloc failed); raise `ulimit -l` or relock some keys"
        case .tooManyGrants(let n): "the daemon holds its maximum of \(n) grants; relock some keys first"
        case .timedOut(let what): "timed out: \(what)"
        case .sandboxRefused(let owner, let reason): "refused by the daemon of '\(owner)': \(reason)"
        case .notReachableFromSandbox(let owner, let sandboxOwner): "owner '\(owner)' is not reachable from this sandbox (it was started for '\(sandboxOwner)')"
        }
    }

    static func describe(errno e: Int32) -> String {
        guard let s = strerror(e) else { return "errno \(e)" }
        return String(cString: s)
    }
}

#if canImport(Glibc)
import Glibc
#endif
