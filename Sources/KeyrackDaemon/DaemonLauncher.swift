#if canImport(Glibc)
import Glibc
#endif
import ProcessSpawn

/// Starts an owner's daemon on demand, exactly once however many callers race to do it.
///
/// The start lock (`flock` on a file in the 0700 runtime directory) is held from "is a daemon
/// answering?" to "the new daemon answers", so a second `unlock` waits and then finds the first
/// one's daemon. The child gets its own session (no controlling terminal, no signals from the
/// caller's shell), stdin from /dev/null, stdout and stderr to the owner's log, and a minimal
/// environment: the caller's environment may hold os.envvar secrets, which the daemon must not
/// inherit.
public enum DaemonLauncher {
    public struct Started: Equatable {
        public var pid: Int32
        /// False when a daemon was already running and nothing was started.
        public var spawned: Bool
        /// The connection a running daemon answered on (nil when this call started one): its
        /// caller's next request may go over it instead of a connection of its own.
        public var connection: DaemonConnection?

        public static func == (a: Started, b: Started) -> Bool { a.pid == b.pid && a.spawned == b.spawned }
    }

    /// Environment variables the daemon keeps from its starter.
    /// DISPLAY, WAYLAND_DISPLAY and DBUS_SESSION_BUS_ADDRESS name the desktop session (no
    /// secret): the identity agent's touch prompt reaches the person through it (notify-send),
    /// or through the command KEYRACK_NOTIFY names.
    static let inheritedVariables = ["PATH", "HOME", "XDG_RUNTIME_DIR", "KEYRACK_HOME", "LANG", "LC_ALL",
                                     "KEYRACK_DAEMON_IDLE_SECONDS", "KEYRACK_DAEMON_CLIENT_TIMEOUT_MS",
                                     "DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "KEYRACK_NOTIFY"]

    public static func ensureRunning(_ client: DaemonClient, executable: String, arguments: [String],
                                     timeoutMilliseconds: UInt64 = 5000,
                                     stoppingWaitMilliseconds: Int32 = StoppingDaemon.exitWaitMilliseconds) throws -> Started {
        try client.runtime.prepare()
        let owner = client.owner
        let lockPath = client.runtime.startLock(owner: owner)
        let lockFD = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard lockFD >= 0 else { throw DaemonError.io("opening \(lockPath)", errno: errno) }
        defer { close(lockFD) }
        while flock(lockFD, LOCK_EX) != 0 {
            guard errno == EINTR else { throw DaemonError.io("locking \(lockPath)", errno: errno) }
        }

        if let connection = try? client.connect(peerUIDs: [getuid()]), case .pong(let pid, _)? = try? connection.send(.ping) {
            return Started(pid: pid, spawned: false, connection: connection)
        }

        // One that is stopping (idle exit, SIGTERM, `daemon stop`; its ping may just have been
        // reset) holds the pid lock until its leases are revoked: wait for it, then start anew.
        if let pid = StoppingDaemon.find(client.runtime, owner: owner),
           !StoppingDaemon.waitForExit(client.runtime, owner: owner, pid: pid, milliseconds: stoppingWaitMilliseconds) {
            throw DaemonError.orphaned(owner: owner, pid: pid)
        }
        // A daemon whose socket was removed still holds the pid lock: a new one could not start.
        if let pid = OrphanedDaemon.find(client.runtime, owner: owner) { throw DaemonError.orphaned(owner: owner, pid: pid) }
        let child = try spawn(executable: executable, arguments: arguments, log: client.runtime.logFile(owner: owner))
        let deadline = Clock.bootMilliseconds() + timeoutMilliseconds
        while Clock.bootMilliseconds() < deadline {
            if case .pong(let pid, _)? = try? client.send(.ping, peerUIDs: [getuid()]) {
                return Started(pid: pid, spawned: true)
            }
            // Did it die (bad arguments, unsafe directory)? Its log says why.
            var status: Int32 = 0
            if waitpid(child, &status, WNOHANG) == child {
                let why = lastLine(of: client.runtime.logFile(owner: owner)).map { ": \($0)" } ?? ""
                throw DaemonError.startFailed("the daemon for '\(owner)' exited at start (exit \((status >> 8) & 0xff))\(why); see \(client.runtime.logFile(owner: owner))")
            }
            usleep(5_000)
        }
        throw DaemonError.timedOut("the daemon for '\(owner)' did not answer within \(timeoutMilliseconds) ms of starting; see \(client.runtime.logFile(owner: owner))")
    }

    private static func spawn(executable: String, arguments: [String], log: String) throws -> pid_t {
        // The runtime then installs no crash backtracer at all (the daemon also takes it off
        // itself at start, Hardening.disableCrashBacktracer): its registers and the memory they
        // point at, values among them, never reach the log.
        var environment = ["SWIFT_BACKTRACE=enable=no"]
        for name in inheritedVariables {
            if let v = getenv(name) { environment.append("\(name)=\(String(cString: v))") }
        }
        var spawn = Spawn(executable, arguments, environment: environment)
        spawn.stdin = .null
        spawn.stdout = .file(path: log, flags: O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, mode: 0o600)
        spawn.stderr = .descriptor(STDOUT_FILENO)
        // A new session, so the daemon outlives the terminal and the caller's process group.
        spawn.newSession = true
        switch spawn.start() {
        case .success(let pid): return pid
        case .failure(let error): throw DaemonError.io("starting \(executable) daemon run", errno: error.code)
        }
    }

    /// The last line of the daemon's log (why it exited), from its last 4 KiB.
    static func lastLine(of path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if lseek(fd, -4096, SEEK_END) < 0 { lseek(fd, 0, SEEK_SET) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return nil }
        return String(decoding: buffer.prefix(n), as: UTF8.self).split(separator: "\n").last.map { String($0.prefix(300)) }
    }

    /// The running executable, for re-invoking ourselves as `keyrack daemon run`.
    public static func currentExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return CommandLine.arguments[0] }
        buffer[n] = 0
        return String(cString: buffer)
    }
}
