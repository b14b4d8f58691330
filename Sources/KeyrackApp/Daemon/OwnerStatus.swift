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

    public static func query(owner: String, env: String?, daemon: any OwnerDaemonPort = LiveDaemonPort(),
                             proxies: (String) -> [ProxyRecord] = ProxyRecords.running) throws -> Result {
        var status: DaemonStatus?
        var orphan: Int32?
        do {
            guard case .status(let s) = try daemon.send(owner: owner, .status) else {
                throw DaemonError.malformed("the daemon answered STATUS with something else")
            }
            status = s
        } catch DaemonError.noDaemon {
            status = nil
        } catch DaemonError.orphaned(_, let pid) {
            orphan = pid
        }
        var agent: AgentStatus?
        if status != nil, case .agentStatus(let a)? = try? daemon.send(owner: owner, .agentStatus) { agent = a }
        return Result(daemon: status, orphanedPID: orphan, grants: (status?.grants ?? []).filter { env == nil || $0.slug.env == env },
                      agent: agent, proxies: proxies(owner))
    }
}
