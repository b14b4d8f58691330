import Foundation
@testable import KeyrackApp
import KeyrackCore
import KeyrackDaemon
import KeyrackNames

/// A terminal that answers from a script and records what it was asked, typed.
final class FakeTerminal: UserTerminal {
    var answers: [SecretRequest: [UInt8]] = [:]
    private(set) var asked: [SecretRequest] = []
    private(set) var notices: [Notice] = []

    func ask(_ request: SecretRequest) throws -> [UInt8] {
        asked.append(request)
        guard let answer = answers[request] else { throw KeyrackError(.usage, "no answer scripted for \(request)") }
        return answer
    }

    func notice(_ notice: Notice) { notices.append(notice) }
}

/// A clock that says what it is told.
struct FakeClock: WallClock {
    var now: UInt64 = 1_800_000_000_000
    func nowMilliseconds() -> UInt64 { now }
}

/// An owner's daemon in memory: records starts, requests and grants (values copied before the
/// use case wipes them), answers as a daemon would.
final class FakeDaemon: OwnerDaemonPort {
    struct Granted: Equatable {
        var slug: Slug
        var vault: String
        var ttlMilliseconds: UInt64
        var value: [UInt8]
    }
    var clock = FakeClock()
    var startedPID: Int32? = 4242
    private(set) var starts: [(owner: String, pinnedUID: UInt32?)] = []
    /// Each request's kind, in order ("requireSandbox", "auditKey", "unlock", "agentStart").
    private(set) var log: [String] = []
    private(set) var granted: [Granted] = []
    private(set) var catalog: [Slug]?
    private(set) var auditRecipient: String?
    private(set) var agentKeys: [AgentKeyRequest] = []
    private(set) var agentTTL: UInt64?

    /// The owners `prepare` was called for (apart from `log`: it starts and sends nothing).
    private(set) var prepared: [String] = []
    func prepare(owner: String) { prepared.append(owner) }

    func start(owner: String, pinnedUID: UInt32?) throws -> Int32? {
        starts.append((owner, pinnedUID))
        log.append("start")
        return startedPID
    }

    func send(owner: String, _ request: Request) throws -> Response {
        let kind: String
        switch request {
        case .status: kind = "status"
        case .relock: kind = "relock"
        case .agentStatus: kind = "agentStatus"
        default: kind = ""
        }
        if let answer = scripted[kind] {
            log.append(kind)
            return try answer.get()
        }
        switch request {
        case .requireSandbox:
            log.append("requireSandbox")
            return .sandboxAccepted
        case .auditKey(_, let recipient):
            log.append("auditKey")
            auditRecipient = recipient
            return .sandboxAccepted
        case .agentStart(let keys, let ttl):
            log.append("agentStart")
            agentKeys = keys.map { AgentKeyRequest(kind: $0.kind, label: $0.label, descriptor: $0.descriptor, secret: $0.secret.map { $0 }) }
            agentTTL = ttl
            return .agentStarted(AgentStatus(labels: keys.map(\.label), remainingMilliseconds: ttl,
                                             expiresAtWallMilliseconds: clock.now + ttl, unwrapped: 0))
        default:
            log.append("other")
            return .error(.unknownType, "not faked")
        }
    }

    /// What `send` answers instead of the defaults above, by request kind ("status", "relock",
    /// "agentStatus"), or the error it throws.
    var scripted: [String: Result<Response, Error>] = [:]
    private(set) var stoppedOrphans: [Int32] = []
    var orphanReport = DaemonExitReport(pid: 0, relocked: [], identityAgent: false)

    func stopOrphan(owner: String, pid: Int32) throws -> DaemonExitReport {
        log.append("stopOrphan")
        stoppedOrphans.append(pid)
        return orphanReport
    }

    /// What `unlock` throws instead of answering (a daemon that failed mid-request).
    var unlockError: Error?
    /// The values as handed over: the same storage as the caller's, not copies, so a test sees
    /// what the caller's wipe left in it.
    private(set) var handed: [[UInt8]] = []

    func unlock(owner: String, _ grants: [GrantRequest], catalog: [Slug]?) throws -> [GrantInfo] {
        log.append("unlock")
        handed += grants.map(\.value)
        if let unlockError { throw unlockError }
        self.catalog = catalog
        granted += grants.map { Granted(slug: $0.slug, vault: $0.vault, ttlMilliseconds: $0.ttlMilliseconds, value: $0.value.map { $0 }) }
        return grants.map { GrantInfo(slug: $0.slug, vault: $0.vault, remainingMilliseconds: $0.ttlMilliseconds,
                                      expiresAtWallMilliseconds: clock.now + $0.ttlMilliseconds) }
    }
}
