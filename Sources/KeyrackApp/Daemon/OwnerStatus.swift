import KeyrackDaemon

/// `keyrack status`: what the owner's daemon holds (slugs, vaults, expiry, never values), its
/// identity agent, and the keycard proxies running for the owner.
public enum OwnerStatus {
    public struct Result {
        /// nil: no daemon answers (none runs, or it lost its socket: `orphanedPID`).
        public var daemon: DaemonStatus?
        public var orphanedPID: Int32?
        /// The grants, of `env` only when one was given.
        public var grants: [GrantInfo]
        public var agent: AgentStatus?
        public var proxies: [ProxyRecord]
    }

    /// What answers on the owner's socket: `keyrack daemon status`, and the first step of `query`.
    public enum Daemon: Equatable {
        case running(DaemonStatus)
        case none
        /// A daemon runs (its pid file says) but lost its socket, so it serves no one.
        case orphaned(pid: Int32)
    }

    public static func daemon(owner: String, daemon: any OwnerDaemonPort = LiveDaemonPort()) throws -> Daemon {
        do {
            guard case .status(let s) = try daemon.send(owner: owner, .status) else {
                throw DaemonError.malformed("the daemon answered STATUS with something else")
            }
            return .running(s)
        } catch DaemonError.noDaemon {
            return .none
        } catch DaemonError.orphaned(_, let pid) {
            return .orphaned(pid: pid)
        }
    }

    public static func query(owner: String, env: String?, daemon: any OwnerDaemonPort = LiveDaemonPort(),
                             proxies: (String) -> [ProxyRecord] = ProxyRecords.running) throws -> Result {
        var status: DaemonStatus?
        var orphan: Int32?
        switch try Self.daemon(owner: owner, daemon: daemon) {
        case .running(let s): status = s
        case .none: break
        case .orphaned(let pid): orphan = pid
        }
        var agent: AgentStatus?
        if status != nil, case .agentStatus(let a)? = try? daemon.send(owner: owner, .agentStatus) { agent = a }
        return Result(daemon: status, orphanedPID: orphan, grants: (status?.grants ?? []).filter { env == nil || $0.slug.env == env },
                      agent: agent, proxies: proxies(owner))
    }
}

extension StatusJSON {
    /// `status --json` of a query's result; `socket` is where the owner's daemon listens.
    public init(owner: String, socket: String, _ r: OwnerStatus.Result) {
        self.init(owner: owner, socket: socket, status: r.daemon, orphanedPid: r.orphanedPID, agent: r.agent, proxies: r.proxies, grants: r.grants)
    }
}
