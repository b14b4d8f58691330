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
    public init() {}

    public func start(owner: String, pinnedUID: UInt32?) throws -> Int32? {
        var pid: Int32?
        _ = try DaemonStart.ensure(owner: owner, pinnedUID: pinnedUID) { pid = $0 }
        return pid
    }

    public func send(owner: String, _ request: Request) throws -> Response {
        try DaemonClient(owner: owner).send(request, peerUIDs: [getuid()])
    }

    public func unlock(owner: String, _ grants: [GrantRequest], catalog: [Slug]?) throws -> [GrantInfo] {
        try DaemonClient(owner: owner).connect(peerUIDs: [getuid()]).unlock(grants, catalog: catalog)
    }

    public func stopOrphan(owner: String, pid: Int32) throws -> DaemonExitReport {
        try OrphanedDaemon.stop(DaemonClient(owner: owner).runtime, owner: owner, pid: pid)
    }
}
