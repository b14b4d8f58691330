#if canImport(Glibc)
import Glibc
#endif
import SecretBytes
import KeyrackNames

/// The client side of the protocol: find an owner's daemon, send requests, read responses.
///
/// Foundation-free on purpose: `keyrack get` runs hundreds of times in one agent task, and what
/// the process loads at start is most of what it costs. The three failures a caller acts on are
/// kept apart: `.noDaemon` (the owner is locked: unlock), `.denied` (this uid may not: do not
/// retry), and everything else (`.protocolError`, `.malformed`, `.io`: a bug or version skew).
public struct DaemonClient: Sendable {
    public let owner: String
    public let runtime: RuntimeDirectory
    /// Per-call budget for the whole exchange.
    public var timeoutMilliseconds: Int = 10_000

    public init(owner: String, runtime: RuntimeDirectory = .current()) {
        self.owner = owner
        self.runtime = runtime
    }

    public var socketPath: String { runtime.socket(owner: owner) }

    /// Opens a connection, after proving the daemon is this caller's own: the runtime directory
    /// must be the caller's (or a trusted uid's), no symlink, closed to group and others, and the
    /// process serving the socket (SO_PEERCRED) must run as a trusted uid. A squatter's directory
    /// or daemon is refused (`.unsafeRuntimeDirectory` / `.denied`) before a byte is sent.
    /// `peerUIDs`: which uids to trust, by default only this process's effective uid.
    public func connect(peerUIDs: [uid_t]? = nil) throws -> DaemonConnection {
        let trusted = peerUIDs ?? [geteuid()]
        let path = socketPath
        guard try runtime.verifyForClient(owner: owner, trustedUIDs: trusted) else {
            if let sandboxOwner = DaemonClient.sandboxOwner, sandboxOwner != owner {
                throw DaemonError.notReachableFromSandbox(owner: owner, sandboxOwner: sandboxOwner)
            }
            if let pid = OrphanedDaemon.find(runtime, owner: owner) { throw DaemonError.orphaned(owner: owner, pid: pid) }
            throw DaemonError.noDaemon(owner: owner, socket: path)
        }
        guard let addr = UnixSocket.address(path) else {
            throw DaemonError.unsafeRuntimeDirectory("socket path \(path) is too long for a Unix socket: set XDG_RUNTIME_DIR to a shorter directory")
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw DaemonError.io("socket", errno: errno) }
        var rc: Int32
        repeat { rc = UnixSocket.withAddress(addr) { Glibc.connect(fd, $0, $1) } } while rc != 0 && errno == EINTR
        if rc != 0 {
            let e = errno
            close(fd)
            switch e {
            case ENOENT, ECONNREFUSED, ENOTDIR, ECONNRESET:
                throw DaemonError.noDaemon(owner: owner, socket: path)
            case EACCES, EPERM:
                throw DaemonError.denied(owner: owner, reason: "the socket \(path) belongs to another user (\(DaemonError.describe(errno: e)))")
            default:
                throw DaemonError.io("connecting to \(path)", errno: e)
            }
        }
        Frame.setTimeouts(fd, milliseconds: timeoutMilliseconds)
        // The kernel's word, checked on every connection: a file check alone races a swap.
        guard let cred = UnixSocket.peerCredentials(fd) else {
            let e = errno
            close(fd)
            throw DaemonError.io("reading the peer credentials of \(path)", errno: e)
        }
        guard trusted.contains(cred.uid) else {
            close(fd)
            throw DaemonError.untrustedDaemon("the process serving \(path) (pid \(cred.pid)) runs as uid \(cred.uid), not as you (uid \(geteuid())): someone may be impersonating your daemon; refusing to talk to it. Remove \(runtime.path) (as root if need be), or set XDG_RUNTIME_DIR to a private directory")
        }
        return DaemonConnection(fd: fd, owner: owner, runtime: runtime, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// The owner the surrounding `exec --sandbox` was started for (KEYRACK_SANDBOX_OWNER), if any.
    static var sandboxOwner: String? {
        guard let v = getenv("KEYRACK_SANDBOX_OWNER") else { return nil }
        let s = String(cString: v)
        return s.isEmpty ? nil : s
    }

    /// Connects, sends one request, returns the response, and closes.
    public func send(_ request: Request, peerUIDs: [uid_t]? = nil) throws -> Response {
        let connection = try connect(peerUIDs: peerUIDs)
        return try connection.send(request)
    }

    /// True when a daemon answers PING for this owner.
    public func isRunning() -> Bool {
        guard let response = try? send(.ping) else { return false }
        if case .pong = response { return true }
        return false
    }
}

/// One open connection to a daemon; closes on deinit. Requests go strictly one at a time.
public final class DaemonConnection {
    private let fd: Int32
    private let owner: String
    private let runtime: RuntimeDirectory
    private let timeoutMilliseconds: Int

    init(fd: Int32, owner: String, runtime: RuntimeDirectory, timeoutMilliseconds: Int) {
        self.fd = fd
        self.owner = owner
        self.runtime = runtime
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    deinit { close(fd) }

    /// Sends `request` and reads its response. An error reply becomes a thrown `DaemonError`
    /// (`.denied` for the kernel check, `.protocolError` otherwise).
    public func send(_ request: Request) throws -> Response {
        guard case .unlock(let grants, _) = request else { return try exchange(request) }
        return try exchange(request, unlocking: grants)
    }

    /// Sends `request` without waiting for its reply, which `reply()` reads later: a ping sent
    /// ahead of the work that will need the daemon (see LiveDaemonPort.prepare).
    public func post(_ request: Request) throws {
        // An UNLOCK is written with its frame's length in front and sent as it is: through
        // Frame.write, its body (values and all) was copied into a new frame, and both zeroed.
        if case .unlock(let grants, let catalog) = request {
            var frame = UnlockEncoding.bytes(grants, catalog: catalog, framed: true)
            defer { zeroize(&frame) }
            return try Frame.writeAll(fd, frame)
        }
        var body = request.encodeBody()
        defer { zeroize(&body) }
        try Frame.write(body, to: fd)
    }

    /// The reply to the request `post` sent, as `send` would have returned it.
    public func reply() throws -> Response { try awaitReply(unlocking: [], writeError: nil) }

    /// `send`, reading an UNLOCKED reply against the grants sent (Response.decode).
    private func exchange(_ request: Request, unlocking grants: [GrantRequest] = []) throws -> Response {
        var writeError: Error?
        do { try post(request) } catch { writeError = error }
        // Even when the write failed (a daemon that denied us may already have closed its end),
        // its reply may be waiting: read it before reporting the write error.
        return try awaitReply(unlocking: grants, writeError: writeError)
    }

    private func awaitReply(unlocking grants: [GrantRequest], writeError: Error?) throws -> Response {
        let outcome: Frame.ReadOutcome
        do {
            outcome = try Frame.read(from: fd, deadlineMilliseconds: Clock.bootMilliseconds() + UInt64(timeoutMilliseconds))
        } catch let e as DaemonError {
            if case .timedOut = e { throw DaemonError.timedOut("the daemon of '\(owner)' did not answer within \(timeoutMilliseconds) ms") }
            throw writeError ?? e
        }
        guard case .frame(var reply) = outcome else {
            // Closed or reset before any answer by a daemon that was exiting (it met us in its
            // accept backlog as it stopped): no daemon runs, which the caller acts on (`unlock`
            // starts one); not an I/O error. A daemon that still listens stays the error.
            if StoppingDaemon.wentAway(runtime, owner: owner) { throw DaemonError.noDaemon(owner: owner, socket: runtime.socket(owner: owner)) }
            throw writeError ?? DaemonError.malformed("the daemon of '\(owner)' closed the connection without answering")
        }
        defer { zeroize(&reply) }
        let response = try Response.decode(body: reply, unlocking: grants)
        if case .error(let code, let message) = response {
            if code == .denied { throw DaemonError.denied(owner: owner, reason: message) }
            if code == .sandboxRefused { throw DaemonError.sandboxRefused(owner: owner, reason: message) }
            throw DaemonError.protocolError(code, message)
        }
        return response
    }

    /// Puts `grants` into the daemon in as many UNLOCK frames as keep each well under the frame
    /// limit; `catalog` (every slug of the manifest, names only) travels with the first, as the
    /// slugs not among its grants (`UnlockCatalog`). Each
    /// value is wiped in its storage once its frame is sent, so the caller's copies are zero
    /// afterwards too. Returns the grants as the daemon stored them, its expiries included.
    public func unlock(_ grants: [GrantRequest], catalog: [Slug]?) throws -> [GrantInfo] {
        var start = 0
        // What a failed batch leaves unsent is wiped here; a sent batch was wiped as it went.
        defer { for i in start..<grants.count { wipeStorage(grants[i].value) } }
        var stored: [GrantInfo] = []
        repeat {
            var end = start, bytes = 0
            while end < grants.count {
                let size = grants[end].value.count + grants[end].slug.utf8Count + grants[end].vault.utf8.count + 32
                if end > start && bytes + size > Frame.maximumBodySize / 2 { break }
                bytes += size
                end += 1
            }
            // All of them in one frame (any unlock of less than about 2 MB of values): the very
            // array, not a copy of every request (10 000 copies and releases, retains included).
            let batch = start == 0 && end == grants.count ? grants : Array(grants[start..<end])
            let request = Request.unlock(batch, catalog: start == 0 ? catalog.map { UnlockCatalog($0, besides: batch) } : nil)
            guard case .unlocked(let infos) = try send(request) else {
                throw DaemonError.malformed("the daemon of '\(owner)' answered UNLOCK with something else")
            }
            for i in start..<end { wipeStorage(grants[i].value) }
            // The first batch's answer taken as it is: appended, each grant was copied once more.
            if stored.isEmpty { stored = infos } else { stored += infos }
            start = end
        } while start < grants.count
        return stored
    }

    /// Sends raw bytes (tests and the fuzzer use this to speak broken protocol on purpose).
    public func sendRaw(_ bytes: [UInt8]) throws { try Frame.writeAll(fd, bytes) }

    /// Reads one raw response after `sendRaw`; nil when the daemon closed the connection.
    public func readResponse() throws -> Response? {
        guard case .frame(let body) = try Frame.read(from: fd, deadlineMilliseconds: Clock.bootMilliseconds() + UInt64(timeoutMilliseconds)) else { return nil }
        return try Response.decode(body: body)
    }
}
