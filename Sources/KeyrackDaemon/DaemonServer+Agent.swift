import SecretBytes
extension DaemonServer {
    /// The identity agent's requests. Secrets in the request (key material, a PIN) are wiped
    /// here once used; file keys in the reply are wiped by the caller after encoding.
    func handleAgent(_ request: Request, connection: ConnectionAudit) -> Response {
        switch request {
        case .agentStart(let keys, let ttl):
            defer { for k in keys { wipeStorage(k.secret) } }
            do {
                let status = try agent.start(keys, ttlMilliseconds: ttl)
                logAgent("identity agent started with \(keys.count) identit\(keys.count == 1 ? "y" : "ies") for \(ttl / 1000)s")
                var f = AuditFields()
                f.add("identities", keys.count)
                f.add("ttl_seconds", ttl / 1000)
                audit("identity-agent-start", f, connection: connection)
                return .agentStarted(status)
            } catch let DaemonError.protocolError(code, message) {
                return .error(code, message)
            } catch { return .error(.rejected, "\(error)") }
        case .agentUnwrap(let files, let secret):
            defer { if let secret { wipeStorage(secret) } }
            do {
                let r = connection.examined(self)
                let asker = AgentAsker(owner: configuration.owner, pid: r.pid, exe: r.exe ?? r.comm, parentPID: r.parentPID,
                                       parentExe: r.parentExe ?? r.parentArgv0, files: files.count)
                let results = try agent.unwrap(files: files, secret: secret, asker: asker)
                // The count of files only: a file key is a secret.
                var f = AuditFields()
                f.add("files", files.count)
                f.add("with_pin", secret != nil)
                guard audit("identity-agent-unwrap", f, connection: connection) else {
                    for case .fileKey(let key) in results { wipeStorage(key) }
                    return .error(.agentFailed, "the access log cannot be written, so no file key is handed out: free disk space or fix the file, then retry")
                }
                return .agentUnwrapped(results)
            } catch AgentIdentityError.needSecret(let prompt) {
                return .agentNeedsSecret(prompt: prompt)
            } catch AgentIdentityError.failed(let message) {
                return .error(.agentFailed, message)
            } catch let DaemonError.protocolError(code, message) {
                return .error(code, message)
            } catch { return .error(.agentFailed, "\(error)") }
        case .agentStatus:
            return .agentStatus(agent.status())
        default:
            return .error(.unknownType, "not an identity agent request")
        }
    }
}
