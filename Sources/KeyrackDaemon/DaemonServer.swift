#if canImport(Glibc)
import Glibc
#endif
import Locking
import SecretBytes

/// One owner's daemon: a Unix socket, a grant store, and a thread per connection.
///
/// Why threads and not a poll loop: a request is a few microseconds of work between two
/// syscalls, the number of concurrent clients is small (agents on one machine), and a blocked or
/// silent client then costs exactly one sleeping thread, bounded by its receive timeout, while
/// every other client is served. The connection cap keeps a flood of silent clients from
/// exhausting threads. `scripts/bench` measures the result (GET/s at 1, 8 and 64 clients).
/// Everything shared and mutable (descriptors included) is in `state`.
public final class DaemonServer: Sendable {
    public struct Configuration: Sendable {
        public var owner: String
        public var socketPath: String
        /// Pid file, held under `flock` for the daemon's life: the lock, not the file's
        /// existence, says a daemon is alive, so a crash never leaves a false "running".
        public var pidPath: String?
        /// The only uid admitted (SO_PEERCRED): the daemon's own, or the owner's pinned user.
        public var allowedUID: uid_t
        /// Exit once no grant is live and no request came for this long; nil = never.
        public var idleExitMilliseconds: UInt64? = 15 * 60 * 1000
        /// A client must deliver each whole frame within this time, and may idle this long.
        public var clientTimeoutMilliseconds: Int = 10_000
        public var maximumConnections: Int = 256
        /// How often expired grants are wiped even when nobody asks.
        public var sweepMilliseconds: Int32 = 1000
        /// Mode of the socket file. 0600 in production; tests of the kernel check widen it.
        public var socketMode: mode_t = 0o600
        /// The owner's manifest says `sandboxed` (passed by `unlock`, which read it): values and
        /// identities go only to peers inside a sandbox registered for this owner.
        public var sandboxed = false
        /// The owner's access log (`$KEYRACK_HOME/audit/<owner>.jsonl`); nil only in tests of
        /// the server alone. When set, a GET whose record cannot be written is refused.
        public var audit: AuditLog?

        /// The daemon process (DaemonProcess) keeps the pid lock until the kernel drops it at
        /// exit, so a client waiting on the lock (`daemon stop`, `relock` of an orphan) returns
        /// once the daemon is gone; a server run inside another process (tests) releases it at stop.
        public var pidLockLastsUntilExit = false

        public init(owner: String, socketPath: String, pidPath: String? = nil, allowedUID: uid_t = geteuid()) {
            self.owner = owner
            self.socketPath = socketPath
            self.pidPath = pidPath
            self.allowedUID = allowedUID
        }
    }

    public let configuration: Configuration
    public let store: GrantStore
    /// The owner's identity agent (`unlock --identity-agent`): live like a grant, wiped with them.
    public let agent: IdentityAgent
    /// The owner's sandboxes (`exec --sandbox`), by pidfd and namespaces.
    public let sandboxes = SandboxRegistry()
    let log: @Sendable (String) -> Void

    private struct State {
        /// Set by `start` before the accept loop runs, closed by that loop when it ends.
        var listenFD: Int32 = -1
        var pidFD: Int32 = -1
        var wakePipe: [Int32] = [-1, -1]
        var connections = 0
        var lastDemand: UInt64 = Clock.bootMilliseconds()
        var stopping = false
        var stopped = false
        var denied = 0
        /// Per kind of denial (a foreign uid, or a peer where the sandbox rule refuses it), so a
        /// flood of one kind cannot hide the first line of another.
        var lastDenialLog: [String: UInt64] = [:]
        var suppressedDenials: [String: Int] = [:]
        var sandboxed = false
    }
    private let state = Locked(State())

    /// Ends the credentials of grants that carry a revocation (GrantRequest.revocation), given
    /// by the process that runs the daemon; nil: such grants are only wiped.
    private let revoker: GrantRevoker?
    /// Renews the leases of leased grants (GrantRequest.leaseMilliseconds), given by the same
    /// process; nil: such grants end with their first lease.
    let renewer: GrantRenewer?

    public init(configuration: Configuration, store: GrantStore = GrantStore(), agent: IdentityAgent = IdentityAgent(factory: nil),
                revoker: GrantRevoker? = nil, renewer: GrantRenewer? = nil,
                log: @escaping @Sendable (String) -> Void = DaemonServer.standardErrorLog) {
        self.configuration = configuration
        self.store = store
        self.agent = agent
        self.revoker = revoker
        self.renewer = renewer
        self.log = log
        state.withLock { $0.sandboxed = configuration.sandboxed }
    }

    /// Whether values go only to the owner's sandboxes (set at start, or by REQUIRE_SANDBOX).
    public var requiresSandbox: Bool { state.withLock { $0.sandboxed } }

    /// How long RELOCK and the stop wait for revocations (the client waits 10 s for an answer).
    static let revocationWaitMilliseconds: Int32 = 5000

    /// Revokes the credentials of the grants that ended since the last call, each on a thread of
    /// its own, and wipes them. `waiting`: returns once all are done or after
    /// `revocationWaitMilliseconds` (RELOCK answers, and the stop exits, after its revocations);
    /// else at once, so an expiry found by the sweep never holds up the accept loop.
    func revokeEnded(waiting: Bool) {
        let due = store.takeRevocations()
        let revoker = self.revoker, log = self.log
        Threads.runEach(due.map { r in {
            if let why = revoker.map({ $0(r) }) ?? "no revoker in this process" {
                log("could not revoke the credential of \(r.slug): \(why); it ends at its own expiry")
            } else {
                log("revoked the credential of \(r.slug)")
            }
            r.wipe()
        } }, waitMilliseconds: waiting ? Self.revocationWaitMilliseconds : nil)
    }

    /// Log lines go to stderr, which `unlock` points at the daemon's log file.
    public static let standardErrorLog: @Sendable (String) -> Void = { line in
        StandardError.write("keyrack-daemon[\(getpid())] \(line)\n")
    }

    /// For the agent's extension: lifecycle lines only, never a secret.
    func logAgent(_ line: String) { log(line) }

    /// Number of callers turned away since start (for tests and STATUS-free checks).
    public var deniedCount: Int { state.withLock { $0.denied } }

    // MARK: lifecycle

    /// Takes the pid lock, clears a stale socket, binds and listens, and starts the accept thread.
    public func start() throws {
        let c = configuration
        guard let addr = UnixSocket.address(c.socketPath) else {
            throw DaemonError.unsafeRuntimeDirectory("socket path \(c.socketPath) is longer than the 107 bytes a Unix socket allows: set XDG_RUNTIME_DIR to a shorter directory")
        }
        if let pidPath = c.pidPath { try lockPidFile(pidPath) }

        // We hold the pid lock, so any socket file at our path was left by a dead daemon.
        if unlink(c.socketPath) != 0 && errno != ENOENT {
            throw DaemonError.io("removing the stale socket \(c.socketPath)", errno: errno)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw DaemonError.io("socket", errno: errno) }
        // Bind under a closed umask so the socket is never reachable by others, even briefly.
        let oldMask = umask(0o177)
        let bound = UnixSocket.withAddress(addr) { bind(fd, $0, $1) }
        let bindErrno = errno
        umask(oldMask)
        guard bound == 0 else { close(fd); throw DaemonError.io("bind \(c.socketPath)", errno: bindErrno) }
        chmod(c.socketPath, c.socketMode)
        guard listen(fd, 128) == 0 else { close(fd); throw DaemonError.io("listen", errno: errno) }
        state.withLock { $0.listenFD = fd }

        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw DaemonError.io("pipe", errno: errno) }
        fds.forEach(setCloseOnExec)
        // A full pipe already wakes the loop: a writer must never block on it (it holds `state`).
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        state.withLock { $0.wakePipe = fds }

        var f = AuditFields()
        f.add("daemon_pid", Int(getpid()))
        f.add("allowed_uid", Int(c.allowedUID))
        f.add("sandboxed", c.sandboxed)
        audit("start", f, connection: nil)
        store.onExpire = { [weak self] slugs in
            var f = AuditFields()
            f.add("slugs", strings: slugs.map(\.description))
            self?.audit("expiry", f, connection: nil)
        }
        log("listening on \(c.socketPath) for owner '\(c.owner)', admitting uid \(c.allowedUID)\(c.sandboxed ? ", values only to its sandboxes" : "")")
        guard Threads.detach(stackSize: 1 << 20, { [self] in acceptLoop() }) else {
            throw DaemonError.io("starting the accept thread", errno: errno)
        }
    }

    /// Asks the accept loop to stop; returns at once.
    public func stop() {
        // Under the lock: the pipe is closed under it too, once the loop is done.
        state.withLock { s in
            defer { s.stopping = true }
            if !s.stopping, s.wakePipe[1] >= 0 {
                var b: UInt8 = 1
                _ = write(s.wakePipe[1], &b, 1)
            }
        }
    }

    /// Wakes the accept loop to look at the lease renewals again (a leased grant came, a
    /// renewal finished); nothing once the loop is stopping.
    func wake() {
        state.withLock { s in
            guard !s.stopping, s.wakePipe[1] >= 0 else { return }
            var b: UInt8 = 2
            _ = write(s.wakePipe[1], &b, 1)
        }
    }

    /// True once the accept loop has ended (stop, STOP request, or idle exit) and files are gone.
    public var isStopped: Bool { state.withLock { $0.stopped } }

    /// Blocks until the accept loop has finished and the files are removed.
    public func waitUntilStopped() {
        while !state.withLock({ $0.stopped }) { usleep(5_000) }
    }

    private func lockPidFile(_ path: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw DaemonError.io("opening \(path)", errno: errno) }
        // A client probing for an orphaned daemon (OrphanedDaemon.isLocked) holds a shared lock
        // for microseconds; only a lock still held after 200 ms is another daemon.
        var locked = flock(fd, LOCK_EX | LOCK_NB) == 0
        for _ in 0..<100 where !locked {
            usleep(2_000)
            locked = flock(fd, LOCK_EX | LOCK_NB) == 0
        }
        if !locked {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = read(fd, &buffer, 31)
            close(fd)
            let pid = Int32(String(decoding: buffer.prefix(max(n, 0)), as: UTF8.self).trimmingTrailingNewline) ?? 0
            throw DaemonError.alreadyRunning(owner: configuration.owner, pid: pid)
        }
        ftruncate(fd, 0)
        let text = "\(getpid())\n"
        _ = text.withCString { write(fd, $0, strlen($0)) }
        state.withLock { $0.pidFD = fd }
    }

    private func acceptLoop() {
        var lastSweep = Clock.bootMilliseconds()
        // Boot-clock ms of the next lease renewal (nil: none scheduled), the loop's only timer
        // besides the sweep: looked up again when woken, at each sweep, and when it falls due.
        var renewalAt: UInt64?
        // Both stay open until this loop has ended (shutdownFiles closes them).
        let (listening, woken) = state.withLock { ($0.listenFD, $0.wakePipe[0]) }
        while !state.withLock({ $0.stopping }) {
            var pfd = [pollfd(fd: listening, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: woken, events: Int16(POLLIN), revents: 0)]
            var timeout = configuration.sweepMilliseconds
            if let at = renewalAt { timeout = Int32(clamping: min(Int64(timeout), max(Int64(at) - Int64(Clock.bootMilliseconds()), 0))) }
            let ready = poll(&pfd, 2, timeout)
            if ready < 0 && errno != EINTR { log("poll failed: \(DaemonError.describe(errno: errno))"); break }
            var lookAgain = false
            if pfd[1].revents != 0 {
                var drained = [UInt8](repeating: 0, count: 64)
                _ = read(woken, &drained, drained.count)
                if state.withLock({ $0.stopping }) { break }
                lookAgain = true
            }
            if pfd[0].revents & Int16(POLLIN) != 0 { acceptOne(listening) }

            let now = Clock.bootMilliseconds()
            if now &- lastSweep >= UInt64(configuration.sweepMilliseconds) {
                lastSweep = now
                let live = store.purgeExpired() + (agent.purgeExpired() ? 1 : 0)
                revokeEnded(waiting: false)
                if let idle = configuration.idleExitMilliseconds, live == 0, idleLongEnough(idle, at: now) {
                    log("no grants and idle for \(idle / 1000)s: exiting")
                    break
                }
                lookAgain = true
            }
            if lookAgain || renewalAt.map({ now >= $0 }) == true {
                renewalAt = renewDue(waiting: false).map { Clock.bootMilliseconds() &+ $0 }
            }
        }
        shutdownFiles()
    }

    /// No connection open and no request for `idle` ms as of `now`, the sweep's clock reading.
    /// A connection the loop accepted just before may have been served, and closed, between
    /// that reading and this check (this thread waited for a CPU): its request is then newer
    /// than `now`, which is not idle (Clock.elapsed), however long the silence before it.
    func idleLongEnough(_ idle: UInt64, at now: UInt64) -> Bool {
        state.withLock { s in s.connections == 0 && Clock.elapsed(since: s.lastDemand, now: now) >= idle }
    }

    /// Connections being served now (tests wait for a closed one's thread to finish).
    var openConnections: Int { state.withLock { $0.connections } }

    private func acceptOne(_ listening: Int32) {
        let fd = accept(listening, nil, nil)
        guard fd >= 0 else { return }
        setCloseOnExec(fd)
        // The kernel check happens here, on the accept thread, before a slot or a thread is
        // spent: a denied uid gets one short reply and is closed at once, so a flood of them can
        // neither hold the connection slots the owner needs nor grow the log without bound.
        guard let cred = UnixSocket.peerCredentials(fd) else {
            let e = errno
            logDenial { "refused a connection: SO_PEERCRED failed (\(DaemonError.describe(errno: e)))" }
            close(fd)
            return
        }
        guard cred.uid == configuration.allowedUID else {
            deny(fd, cred)
            return
        }
        let admitted = state.withLock { s -> Bool in
            guard s.connections < configuration.maximumConnections else { return false }
            s.connections += 1
            return true
        }
        guard admitted else {
            Frame.setTimeouts(fd, milliseconds: 100)
            try? Frame.write(Response.error(.busy, "the daemon is serving its maximum of \(configuration.maximumConnections) connections; retry shortly").encodeBody(), to: fd)
            close(fd)
            return
        }
        let started = Threads.detach { [self] in
            serve(fd, cred)
            close(fd)
            state.withLock { $0.connections -= 1 }
        }
        if !started {
            close(fd)
            state.withLock { $0.connections -= 1 }
        }
    }

    private func shutdownFiles() {
        // Said before the socket goes: a starter that then finds no socket but a locked pid file
        // waits for this exit instead of calling us an orphan, and a client whose pending
        // connection the close below resets is told no daemon runs (StoppingDaemon).
        let (listening, heldPidFD) = state.withLock { s in defer { s.listenFD = -1 }; return (s.listenFD, s.pidFD) }
        if heldPidFD >= 0 { StoppingDaemon.mark(fd: heldPidFD) }
        if listening >= 0 { close(listening) }
        unlink(configuration.socketPath)
        // Wiped before the pid lock goes: whoever waits on it finds the grants gone.
        let wiped = store.relock()
        revokeEnded(waiting: true)
        let heldIdentities = agent.stop()
        log("stopped; wiped \(wiped.count) grant(s)\(heldIdentities ? " and the identity agent" : "")")
        var f = AuditFields()
        f.add("slugs", strings: wiped.map(\.description))
        f.add("identity_agent", heldIdentities)
        audit("stop", f, connection: nil)
        configuration.audit?.checkpoint(reason: "stop")
        configuration.audit?.forgetCheckpointKey()
        let pidFD = state.withLock { $0.pidFD }
        if let pidPath = configuration.pidPath, pidFD >= 0 {
            // What this exit wiped, for a client that stopped us without a socket to ask
            // (OrphanedDaemon.stop reads it through the descriptor it opened before signalling).
            DaemonExitReport(pid: getpid(), relocked: wiped, identityAgent: heldIdentities).write(to: pidFD)
            // We hold the lock, so the file is ours to remove; a successor that races in after
            // this point takes a fresh lock on a fresh file.
            unlink(pidPath)
            if !configuration.pidLockLastsUntilExit {
                close(pidFD)
                state.withLock { $0.pidFD = -1 }
            }
        }
        state.withLock { s in
            // Under the lock that `wake` and `stop` write under, so none writes to a closed descriptor.
            s.stopping = true
            for fd in s.wakePipe where fd >= 0 { close(fd) }
            s.wakePipe = [-1, -1]
            s.stopped = true
        }
    }

    // MARK: one connection

    /// One non-blocking reply (the client reads it instead of a bare EOF) and close. No drain,
    /// no wait: AF_UNIX delivers what was written even when the peer's own bytes go unread.
    private func deny(_ fd: Int32, _ cred: PeerCredentials) {
        state.withLock { $0.denied += 1 }
        let connection = ConnectionAudit(fd: fd, cred: cred)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let why = "only uid \(configuration.allowedUID) may use the keys of '\(configuration.owner)'"
        // Recorded before the reply, as every answer is (the caller that reads the reply finds
        // the record), and before the socket closes: the requester's pidfd is the socket's.
        logDenial(connection: connection) { "denied uid=\(cred.uid) pid=\(cred.pid) exe=\(UnixSocket.executable(of: cred.pid)): \(why)" }
        let reply = Response.error(.denied, "uid \(cred.uid) may not use the daemon of '\(configuration.owner)' (it admits uid \(configuration.allowedUID) only)")
        try? Frame.write(reply.encodeBody(), to: fd)  // a peer that does not read gets nothing: EAGAIN ends it
        close(fd)
    }

    /// At most one denial line per second and kind; the ones held back are counted on the next line.
    private func logDenial(kind: String = "uid", connection: ConnectionAudit? = nil, _ line: () -> String) {
        let now = Clock.bootMilliseconds()
        let (emit, suppressed) = state.withLock { s -> (Bool, Int) in
            let last = s.lastDenialLog[kind] ?? 0
            guard last == 0 || Clock.elapsed(since: last, now: now) >= 1000 else { s.suppressedDenials[kind, default: 0] += 1; return (false, 0) }
            defer { s.lastDenialLog[kind] = now; s.suppressedDenials[kind] = 0 }
            return (true, s.suppressedDenials[kind] ?? 0)
        }
        guard emit else { return }
        let text = line()
        log(suppressed > 0 ? "\(text) (and \(suppressed) more denied connection(s) not logged since the last line)" : text)
        // The access log takes the same lines at the same rate: a flood of denied connections
        // must not fill the disk, and the count of those held back is in the next record.
        auditDenied(text, connection: connection, suppressed: suppressed)
    }

    private func serve(_ fd: Int32, _ cred: PeerCredentials) {
        let timeout = configuration.clientTimeoutMilliseconds
        Frame.setTimeouts(fd, milliseconds: timeout)
        var place: PeerPlace?
        let connection = ConnectionAudit(fd: fd, cred: cred)

        while true {
            let outcome: Frame.ReadOutcome
            do {
                outcome = try Frame.read(from: fd, deadlineMilliseconds: Clock.bootMilliseconds() + UInt64(timeout))
            } catch let error as DaemonError {
                switch error {
                case .protocolError(let code, let message):
                    try? Frame.write(Response.error(code, message).encodeBody(), to: fd)
                case .malformed(let message):
                    try? Frame.write(Response.error(.malformed, message).encodeBody(), to: fd)
                case .timedOut(let message):
                    try? Frame.write(Response.error(.timeout, message).encodeBody(), to: fd)
                default:
                    break
                }
                return
            } catch { return }
            guard case .frame(let body) = outcome else { return }

            let reply: [UInt8]
            var stopAfterReply = false
            var bodyWiped = false
            // What the client need not wait for: freed once the reply is sent (AfterReply).
            var afterReply = AfterReply()
            do {
                let request = try Request.decode(body: body)
                wipeStorage(body)
                bodyWiped = true
                state.withLock { $0.lastDemand = Clock.bootMilliseconds() }
                if let refusal = refusal(of: request, fd: fd, cred: cred, place: &place, connection: connection) {
                    reply = refusal.encodeBody()
                } else if case .unlock(let grants, let catalog) = request {
                    reply = unlock(grants, catalog: catalog, connection: connection, afterReply: &afterReply)
                } else {
                    if case .stop = request { stopAfterReply = true }
                    let response = handle(request, connection: connection)
                    reply = response.encodeBody(answering: request)
                    response.wipeValues()
                }
                afterReply.request = request
            } catch let DaemonError.protocolError(code, message) {
                reply = Response.error(code, message).encodeBody()
            } catch let error as DaemonError {
                if case .malformed(let m) = error { reply = Response.error(.malformed, m).encodeBody() }
                else { reply = Response.error(.rejected, error.description).encodeBody() }
            } catch {
                reply = Response.error(.rejected, "\(error)").encodeBody()
            }
            // Wiped once: a decoded body was wiped as soon as it was read.
            if !bodyWiped { wipeStorage(body) }
            let sent = (try? Frame.write(reply, to: fd)) != nil
            wipeStorage(reply)
            // Only now let go of the request and what it replaced (their values are wiped already).
            withExtendedLifetime(afterReply) {}
            if stopAfterReply {
                log("stop requested by pid \(cred.pid)")
                audit("stop-requested", connection: connection)
                stop()
                return
            }
            if !sent { return }
            // Between requests, while the client works (an unlock that pinged ahead is opening
            // its manifest): the requester its records will name, examined once per connection.
            if configuration.audit != nil { _ = connection.requester(self) }
        }
    }

    private func handle(_ request: Request, connection: ConnectionAudit) -> Response {
        switch request {
        case .ping:
            return .pong(pid: getpid(), owner: configuration.owner)
        case .unlock:
            // `serve`, this switch's one caller, answers UNLOCK itself (`unlock(_:catalog:connection:afterReply:)`,
            // whose leftovers are freed after the reply is sent): none reaches here.
            return .error(.rejected, "UNLOCK is answered before the general handler; this is a keyrack bug")
        case .get(let queries):
            let results = queries.map { store.lookup(key: $0.key, env: $0.env, org: $0.org) }
            // Recorded before a value leaves: a GET the log cannot take is refused (fail closed).
            guard auditGet(queries, results, connection: connection) else {
                for case .granted(_, let value) in results { wipeStorage(value) }
                return .error(.rejected, "the access log \(configuration.audit?.path ?? "") cannot be written, so no value is handed out: free disk space or fix the file, then retry")
            }
            return .got(results)
        case .status:
            return .status(DaemonStatus(pid: getpid(), owner: configuration.owner, allowedUID: configuration.allowedUID,
                                        grants: store.status(), catalogCount: store.catalogCount))
        case .relock(let env, let key):
            // A relock of everything also forgets the identities.
            if env == nil && key == nil, agent.stop() { log("identity agent relocked") }
            let gone = store.relock(env: env, key: key)
            revokeEnded(waiting: true)
            auditRelock(env: env, key: key, gone: gone, connection: connection)
            return .relocked(gone)
        case .stop:
            return .stopping
        case .agentStart, .agentUnwrap, .agentStatus:
            return handleAgent(request, connection: connection)
        case .registerSandbox(let pid):
            do {
                let ns = try sandboxes.register(pid: pid)
                log("sandbox registered: pid \(pid) (\(ns))")
                var f = AuditFields()
                f.add("sandbox_pid", Int(pid))
                f.add("user_ns", ns.user); f.add("pid_ns", ns.pid); f.add("mnt_ns", ns.mount)
                audit("sandbox-start", f, connection: connection)
                return .sandboxAccepted
            } catch { return .error(.rejected, "cannot record the sandbox: \(error)") }
        case .auditKey(let seed, let recipient):
            defer { wipeStorage(seed) }
            configuration.audit?.setCheckpointKey(seed: seed)
            var f = AuditFields()
            f.add("recipient", recipient)
            f.add("checkpoint_key", configuration.audit?.checkpointPublicKey.map(AuditCrypto.hex))
            audit("checkpoint-key", f, connection: connection)
            return .sandboxAccepted
        case .auditChange(let event, let slug, let vault, let effect):
            var f = AuditFields()
            f.add("slug", slug)
            f.add("vault", vault)
            f.add("effect", effect)
            guard audit(event, f, connection: connection) else {
                return .error(.rejected, "the access log \(configuration.audit?.path ?? "") cannot be written: this \(event) is not recorded; free disk space or fix the file")
            }
            return .sandboxAccepted
        case .auditHead:
            guard let head = configuration.audit?.head else { return .error(.rejected, "this daemon keeps no access log") }
            return .auditHead(seq: head.seq, head: head.hash)
        case .auditCardCheckpoint(let c):
            // Only appended: the card and its key are the CLI's; `audit verify` checks the signature.
            guard let head = configuration.audit?.head, c.seq <= head.seq, c.seq < head.seq || c.head == head.hash else {
                return .error(.rejected, "the card checkpoint names a head this log does not have")
            }
            var f = AuditFields()
            f.add("covers_seq", c.seq)
            f.add("head", c.head)
            f.add("slot", c.slot)
            f.add("serial", Int(c.serial))
            f.add("card_key", AuditCrypto.hex(c.publicKey))
            f.add("sig", AuditCrypto.hex(c.signature))
            guard audit("card-checkpoint", f, connection: connection) else {
                return .error(.rejected, "the access log \(configuration.audit?.path ?? "") cannot be written: free disk space or fix the file")
            }
            return .sandboxAccepted
        case .auditProxy(let substitution):
            guard auditProxy(substitution, connection: connection) else {
                return .error(.rejected, "the access log \(configuration.audit?.path ?? "") cannot be written, so the proxy sends no value: free disk space or fix the file, then retry")
            }
            return .sandboxAccepted
        case .requireSandbox:
            let changed = state.withLock { s -> Bool in defer { s.sandboxed = true }; return !s.sandboxed }
            if changed {
                log("values of '\(configuration.owner)' now go only to its sandboxes")
                audit("sandbox-required", connection: connection)
            }
            return .sandboxAccepted
        }
    }

    /// What a request leaves that the client need not wait for: the decoded request itself (an
    /// UNLOCK's grants, their value arrays wiped already) and the guarded storage of the grants
    /// it replaced (wiped already, under the store's lock). `serve` drops it once the reply is
    /// sent: freeing 10 000 of each was a millisecond of a re-unlock the client waited for.
    struct AfterReply {
        var request: Request?
        var replaced: [GuardedBytes] = []
    }

    /// An UNLOCK, answered as its reply's body. Every grant is stored as sent
    /// (`GrantStore.put(asSent:)`), so the reply names each by its place with its expiry and the
    /// record lists the requests' names; the grants it replaced go to `afterReply`.
    /// The access log records the unlock before the reply is made.
    func unlock(_ grants: [GrantRequest], catalog: UnlockCatalog?, connection: ConnectionAudit, afterReply: inout AfterReply) -> [UInt8] {
        // The values decoded from the frame; once in guarded memory no other copy may stay.
        // Read in place: `for g in grants` copied each request (retaining its strings).
        defer { grants.withUnsafeBufferPointer { for i in $0.indices { wipeStorage($0[i].value) } } }
        // A grant replaced by this unlock ends: its credential is revoked (not waited for).
        defer { revokeEnded(waiting: false) }
        do {
            let stored = try store.put(asSent: grants, catalog: catalog?.beyondGrants)
            afterReply.replaced = stored.wiped
            // A leased grant: the loop learns when its first renewal is due.
            if grants.contains(where: { $0.leaseMilliseconds != nil }) { wake() }
            auditUnlock(grants, catalog: catalog?.count, connection: connection)
            return Response.unlockedBody(asSent: grants, wall: stored.wall)
        } catch let e as DaemonError {
            return Response.error(.rejected, e.description).encodeBody()
        } catch { return Response.error(.rejected, "\(error)").encodeBody() }
    }

    /// Where a peer may not do what it asks, the refusal to send; nil to go ahead. Only what
    /// the sandbox rules decide is here (the uid was checked at accept): a registration must come
    /// from outside every sandbox, and a sandboxed owner's values and identities go only to
    /// peers inside one of its own sandboxes. The peer is examined once per connection.
    private func refusal(of request: Request, fd: Int32, cred: PeerCredentials, place: inout PeerPlace?, connection: ConnectionAudit) -> Response? {
        let isRegistration: Bool
        let needsSandbox: Bool
        switch request {
        case .registerSandbox: isRegistration = true; needsSandbox = false
        // Values and identity use; putting grants or identities in (unlock) is the host's job.
        case .get, .agentUnwrap: isRegistration = false; needsSandbox = requiresSandbox
        default: isRegistration = false; needsSandbox = false
        }
        guard isRegistration || needsSandbox || (requiresSandbox && place != .host) else { return nil }
        let peer = place ?? sandboxes.place(socket: fd, pid: cred.pid)
        place = peer
        if isRegistration {
            guard peer == .host else {
                return deniedBySandbox(cred, "a sandbox can only be registered from outside every sandbox", peer: peer, connection: connection)
            }
            return nil
        }
        if needsSandbox {
            guard peer == .ownSandbox else {
                return deniedBySandbox(cred, "the keys of '\(configuration.owner)' go only to its own sandboxes", peer: peer, connection: connection)
            }
            return nil
        }
        // A sandboxed owner manages its daemon (unlock, status, relock, stop) from the host or
        // its own sandbox, not from anyone else's.
        guard peer == .host || peer == .ownSandbox else {
            return deniedBySandbox(cred, "the daemon of '\(configuration.owner)' serves only its own sandboxes and the host", peer: peer, connection: connection)
        }
        return nil
    }

    private func deniedBySandbox(_ cred: PeerCredentials, _ why: String, peer: PeerPlace, connection: ConnectionAudit) -> Response {
        state.withLock { $0.denied += 1 }
        let place: String
        switch peer {
        case .host: place = "outside any sandbox"
        case .ownSandbox: place = "inside its sandbox"
        case .elsewhere: place = "inside another sandbox or namespace"
        case .unknown: place = "no longer examinable (it exited)"
        }
        logDenial(kind: place, connection: connection) { "denied pid=\(cred.pid) exe=\(UnixSocket.executable(of: cred.pid)) \(place): \(why)" }
        return .error(.sandboxRefused, "\(why); this process (pid \(cred.pid)) is \(place)")
    }
}

extension String {
    var trimmingTrailingNewline: String {
        var s = self
        while s.last == "\n" || s.last == "\0" || s.last == " " { s.removeLast() }
        return s
    }
}
