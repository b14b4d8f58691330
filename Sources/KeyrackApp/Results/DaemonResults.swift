import KeyrackClient
import KeyrackDaemon

// What the daemon commands answer with `--json`: one Codable value each, printed by JSONLine
// (fields in the order declared here; an absent value is null). The CLI builds the value and
// renders either it or its text, from the same facts.

/// A grant as `status --json` lists it.
public struct GrantJSON: Encodable, Equatable {
    public var slug: String
    public var org: String
    public var env: String
    public var key: String
    public var vault: String
    public var expiresAt: String
    public var remainingSeconds: UInt64

    public init(_ g: GrantInfo) {
        slug = g.slug.description
        org = g.slug.org
        env = g.slug.env
        key = g.slug.key
        vault = g.vault
        expiresAt = TextFormat.isoTime(milliseconds: g.expiresAtWallMilliseconds)
        remainingSeconds = g.remainingMilliseconds / 1000
    }
}

/// The identity agent as `status --json` shows it.
public struct AgentJSON: Encodable, Equatable {
    public var identities: [String]
    public var expiresAt: String
    public var remainingSeconds: UInt64
    public var fileKeysUnwrapped: UInt64

    public init(_ a: AgentStatus) {
        identities = a.labels
        expiresAt = TextFormat.isoTime(milliseconds: a.expiresAtWallMilliseconds)
        remainingSeconds = a.remainingMilliseconds / 1000
        fileKeysUnwrapped = a.unwrapped
    }
}

/// A running keycard proxy as `status --json` shows it: names, hosts and counts only.
public struct ProxyJSON: Encodable, Equatable {
    public struct Key: Encodable, Equatable {
        public var name: String
        public var sendTo: [String]
    }

    public var pid: Int32
    public var port: Int
    public var substitutions: Int
    public var keys: [Key]

    public init(_ p: ProxyRecord) {
        pid = p.pid
        port = p.port
        substitutions = p.substitutions
        keys = p.keys.map { Key(name: $0.name, sendTo: $0.sendTo) }
    }
}

/// `status --json`.
public struct StatusJSON: Encodable, Equatable {
    public var owner: String
    public var running: Bool
    public var socket: String
    public var pid: Int32?
    public var orphanedPid: Int32?
    public var identityAgent: AgentJSON?
    public var proxies: [ProxyJSON]
    public var keys: [GrantJSON]

    public init(owner: String, socket: String, status: DaemonStatus?, orphanedPid: Int32?, agent: AgentStatus?, proxies: [ProxyRecord], grants: [GrantInfo]) {
        self.owner = owner
        running = status != nil
        self.socket = socket
        pid = status?.pid
        self.orphanedPid = orphanedPid
        identityAgent = agent.map(AgentJSON.init)
        self.proxies = proxies.map(ProxyJSON.init)
        keys = grants.map(GrantJSON.init)
    }
}

/// `daemon status --json` of a daemon that answers.
public struct DaemonStatusJSON: Encodable, Equatable {
    public var owner: String
    public var running = true
    public var pid: Int32
    public var socket: String
    public var allowedUid: UInt32
    public var grants: Int

    public init(_ status: DaemonStatus, socket: String) {
        owner = status.owner
        pid = status.pid
        self.socket = socket
        allowedUid = status.allowedUID
        grants = status.grants.count
    }
}

/// `daemon stop --json`: `effect` is stopped or not-running.
public struct DaemonStopJSON: Encodable, Equatable {
    public var owner: String
    public var effect: String

    public init(owner: String, effect: String) {
        self.owner = owner
        self.effect = effect
    }
}

/// `relock --json`.
public struct RelockJSON: Encodable, Equatable {
    public var owner: String
    public var relocked: [String]
    public var identityAgent: Bool

    public init(owner: String, relocked: [String], identityAgent: Bool) {
        self.owner = owner
        self.relocked = relocked
        self.identityAgent = identityAgent
    }
}

/// `daemon bench --json`.
public struct BenchJSON: Encodable, Equatable {
    public var clients: Int
    public var requests: Int
    public var failures: Int
    public var milliseconds: Int
    public var perSecond: Int
    /// The daemon's CPU time over the run (from /proc), when it could be read: the bench's per-GET cost.
    public var serverCPUMilliseconds: Int?

    public init(clients: Int, requests: Int, failures: Int, milliseconds: Int, perSecond: Int, serverCPUMilliseconds: Int? = nil) {
        (self.clients, self.requests, self.failures, self.milliseconds, self.perSecond) = (clients, requests, failures, milliseconds, perSecond)
        self.serverCPUMilliseconds = serverCPUMilliseconds
    }
}
