import SecretBytes
extension DaemonServer {
    /// The identity agent's requests. Secrets in the request (key material, a PIN) are wiped
    /// here once used; file keys in the reply are wiped by the caller after encoding.
    func handleAgent(_ request: Request) -> Response {
        switch request {
        case .agentStart(let keys, let ttl):
            defer { for k in keys { wipeStorage(k.secret) } }
            do {
                let status = try agent.start(keys, ttlMilliseconds: ttl)
                logAgent("identity agent started with \(keys.count) identit\(keys.count == 1 ? "y" : "ies") for \(ttl / 1000)s")
                return .agentStarted(status)
            } catch let DaemonError.protocolError(code, message) {
                return .error(code, message)
            } catch { return .error(.rejected, "\(error)") }
        case .agentUnwrap(let files, let secret):
            defer { if let secret { wipeStorage(secret) } }
            do {
                return .agentUnwrapped(try agent.unwrap(files: files, secret: secret))
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
