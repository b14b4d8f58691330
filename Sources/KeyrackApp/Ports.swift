import KeyrackCore
import KeyrackDaemon
#if canImport(Glibc)
import Glibc
import KeyrackNames
#endif

/// The person (or robot) at the keyboard, as the use cases see it: a secret asked by kind
/// (`SecretRequest`), and a notice to act on now (`Notice`: touch the card). The CLI passes
/// `LiveTerminal`; tests pass a fake that answers from a script and records what was asked.
public protocol UserTerminal {
    func ask(_ request: SecretRequest) throws -> [UInt8]
    func notice(_ notice: Notice)
}

extension UserTerminal {
    /// The core's shape of the same terminal.
    public var interaction: Interaction { Interaction(secret: { try ask($0) }, notice: { notice($0) }) }
}

/// The wall clock (Unix epoch milliseconds): what a minted credential's end is counted from.
public protocol WallClock {
    func nowMilliseconds() -> UInt64
}

/// `KeyrackDaemon.Clock`'s wall time.
public struct LiveClock: WallClock {
    public init() {}
    public func nowMilliseconds() -> UInt64 { Clock.wallMilliseconds() }
}

/// An owner's daemon as the use cases talk to it. The live one starts it with `DaemonStart`
/// and speaks over its socket with the caller's uid checked; tests pass a fake that records.
public protocol OwnerDaemonPort {
    /// Reaches the owner's daemon ahead of `start` when one runs, so that it does its share of
    /// the coming request (examining this process for its access log) while this one works
    /// (opens the manifest). Starts nothing; never fails (`start` then does it all).
    func prepare(owner: String)
    /// Starts the owner's daemon when none answers (once, however many race); the pid of a
    /// daemon this call started, nil when one was running.
    func start(owner: String, pinnedUID: UInt32?) throws -> Int32?
    func send(owner: String, _ request: Request) throws -> Response
    /// Hands `grants` over (in as many frames as they need); the grants as the daemon stored them.
    func unlock(owner: String, _ grants: [GrantRequest], catalog: [Slug]?) throws -> [GrantInfo]
    /// Stops a daemon that lost its socket (found through its pid file), which wipes what it
    /// held; what it held, from its exit report.
    func stopOrphan(owner: String, pid: Int32) throws -> DaemonExitReport
}

public struct LiveDaemonPort: OwnerDaemonPort {
    /// The connection `start` found a running daemon on, for the request right after it (an
    /// unlock's grants): one connection where there were two, each a thread in the daemon and a
    /// round trip here (issue 32).
    private let found = FoundConnection()

    public init() {}

    /// Connects to a running daemon and pings it without waiting: it answers and examines this
    /// process on its own core while the manifest is opened, and `start` finds the answer
    /// waiting instead of a lock, a connection and a round trip of its own (issue 32).
    public func prepare(owner: String) {
        guard let connection = try? DaemonClient(owner: owner).connect(peerUIDs: [getuid()]), (try? connection.post(.ping)) != nil else { return }
        found.keep(connection, owner: owner, pongPending: true)
    }

    public func start(owner: String, pinnedUID: UInt32?) throws -> Int32? {
        // The ping `prepare` sent, if soon enough; anything but a pong and it is the usual way.
        if let (connection, at) = found.takePinged(owner: owner), case .pong? = try? connection.reply() {
            found.keep(connection, owner: owner, at: at)
            return nil
        }
        let result = try DaemonStart.ensureRunning(owner: owner, pinnedUID: pinnedUID)
        if let connection = result.connection { found.keep(connection, owner: owner) }
        return result.spawned ? result.pid : nil
    }

    public func send(owner: String, _ request: Request) throws -> Response {
        if let connection = found.take(owner: owner) { return try connection.send(request) }
        return try DaemonClient(owner: owner).send(request, peerUIDs: [getuid()])
    }

    public func unlock(owner: String, _ grants: [GrantRequest], catalog: [Slug]?) throws -> [GrantInfo] {
        try (found.take(owner: owner) ?? DaemonClient(owner: owner).connect(peerUIDs: [getuid()])).unlock(grants, catalog: catalog)
    }

    public func stopOrphan(owner: String, pid: Int32) throws -> DaemonExitReport {
        try OrphanedDaemon.stop(DaemonClient(owner: owner).runtime, owner: owner, pid: pid)
    }
}

/// The connection a daemon answered `start` on, handed to the next request only, and only soon:
/// the daemon ends a connection idle for its client timeout (10 s), and a request must never
/// meet a connection the daemon already closed. Soon counts from the daemon's last answer on it:
/// for a connection `prepare` pinged on, from that ping.
private final class FoundConnection {
    private static let freshForMilliseconds: UInt64 = 1_000
    private var kept: (owner: String, connection: DaemonConnection, at: UInt64, pongPending: Bool)?

    func keep(_ connection: DaemonConnection, owner: String, at: UInt64 = Clock.bootMilliseconds(), pongPending: Bool = false) {
        kept = (owner, connection, at, pongPending)
    }

    /// The connection for the next request, once its pong was read.
    func take(owner: String) -> DaemonConnection? { taken(owner: owner, pongPending: false)?.connection }

    /// The connection `prepare` pinged on, its pong still to read, and when it was pinged.
    func takePinged(owner: String) -> (DaemonConnection, UInt64)? { taken(owner: owner, pongPending: true) }

    private func taken(owner: String, pongPending: Bool) -> (connection: DaemonConnection, at: UInt64)? {
        defer { kept = nil }
        guard let kept, kept.owner == owner, kept.pongPending == pongPending,
              Clock.bootMilliseconds() - kept.at < Self.freshForMilliseconds else { return nil }
        return (kept.connection, kept.at)
    }
}
