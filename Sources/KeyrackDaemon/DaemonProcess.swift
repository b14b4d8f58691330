#if canImport(Glibc)
import Glibc
#endif

/// The daemon as a process: what `keyrack daemon run` does around a `DaemonServer` — harden,
/// drop inherited descriptors, make the runtime directory, take the stop signals, serve until
/// stopped. The command only parses its options and calls `serve`.
public enum DaemonProcess {
    /// Serves `owner`'s grants on its socket until SIGTERM, SIGINT or SIGHUP, or until the server
    /// stops itself (idle with nothing unlocked, or `daemon stop`). `idleExitMilliseconds` nil
    /// means never idle out. KEYRACK_DAEMON_CLIENT_TIMEOUT_MS shortens the per-client timeout
    /// (tests of slow or stalled clients).
    public static func serve(owner: String, allowedUID: uid_t, idleExitMilliseconds: UInt64?, agent: IdentityAgent,
                             revoker: GrantRevoker? = nil, renewer: GrantRenewer? = nil) throws {
        Hardening.apply()
        // Nothing this process inherited beyond stdio is ours to keep.
        for fd in 3..<256 { close(Int32(fd)) }

        let runtime = RuntimeDirectory.current()
        try runtime.prepare()
        var configuration = DaemonServer.Configuration(owner: owner, socketPath: runtime.socket(owner: owner),
                                                       pidPath: runtime.pidFile(owner: owner), allowedUID: allowedUID)
        configuration.idleExitMilliseconds = idleExitMilliseconds
        configuration.pidLockLastsUntilExit = true
        if let t = getenv("KEYRACK_DAEMON_CLIENT_TIMEOUT_MS").flatMap({ Int(String(cString: $0)) }), t > 0 {
            configuration.clientTimeoutMilliseconds = t
        }
        configuration.audit = try openAuditLog(owner: owner, runtime: runtime)

        // Block the stop signals in every thread; this one waits for them below.
        var signals = sigset_t()
        sigemptyset(&signals)
        for s in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&signals, s) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)

        let server = DaemonServer(configuration: configuration, agent: agent, revoker: revoker, renewer: renewer)
        try server.start()
        var timeout = timespec(tv_sec: 0, tv_nsec: 200_000_000)
        while true {
            let s = sigtimedwait(&signals, nil, &timeout)
            if s > 0 {
                DaemonServer.standardErrorLog("signal \(s): stopping")
                server.stop()
                break
            }
            if server.isStopped { break }
        }
        server.waitUntilStopped()
    }

    /// The owner's access log, whose flock the daemon holds while it runs (the CLI then sends
    /// its records here: AUDIT_CHANGE). A daemon that cannot keep one does not start: a log that fails
    /// open (keeps serving while nothing is recorded) is the weakness this log exists to close.
    /// KEYRACK_AUDIT_CHECKPOINT_EVERY sets how many records lie between checkpoints (tests).
    ///
    /// The log lives in KEYRACK_HOME. A daemon whose KEYRACK_HOME is not its own to write (an
    /// owner pinned to a Unix user that has no home of its own, started for `daemon bench`)
    /// keeps it in its runtime directory instead, which it has just proven its own (0700, no
    /// symlink); `keyrack audit` looks there too. A bad log *file* (a symlink, a FIFO, another
    /// owner's) is never worked around: that is refused.
    static func openAuditLog(owner: String, runtime: RuntimeDirectory) throws -> AuditLog {
        let home = AuditLog.homeFromEnvironment() ?? runtime.path
        makeDirectories(home)
        let every = getenv("KEYRACK_AUDIT_CHECKPOINT_EVERY").flatMap { UInt64(String(cString: $0)) } ?? 1000
        // KEYRACK_AUDIT_MAX_BYTES: the size at which the file is archived and a new one begins.
        let cap = getenv("KEYRACK_AUDIT_MAX_BYTES").flatMap { Int64(String(cString: $0)) } ?? 64 << 20
        do {
            return try AuditLog(home: home, owner: owner, checkpointEvery: every, maximumBytes: cap, holdsFileLock: true)
        } catch where !error.aboutTheFile && home != runtime.path {
            DaemonServer.standardErrorLog("\(error.problem): keeping the access log in \(runtime.path)/audit instead")
        } catch {
            throw DaemonError.startFailed("the daemon cannot keep its access log, so it does not start: \(error.description)")
        }
        do {
            return try AuditLog(home: runtime.path, owner: owner, checkpointEvery: every, maximumBytes: cap, holdsFileLock: true)
        } catch {
            throw DaemonError.startFailed("the daemon cannot keep its access log, so it does not start: \(error.description)")
        }
    }

    /// `mkdir -p` with 0700 for what is missing (a first daemon on a fresh HOME).
    private static func makeDirectories(_ path: String) {
        var st = stat()
        if lstat(path, &st) == 0 { return }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex { makeDirectories(String(path[..<slash])) }
        mkdir(path, 0o700)
    }
}
