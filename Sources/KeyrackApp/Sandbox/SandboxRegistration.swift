import KeyrackDaemon

/// Tells the owner's daemon, from outside, which sandbox is the owner's: the daemon opens the
/// sandbox's pid 1 as a pidfd and records its namespaces itself (it believes nothing else the
/// request says), so that a `sandboxed` owner can serve peers inside it and no one else.
enum SandboxRegistration {
    static func register(owner: String, sandboxPID: Int32) throws {
        let client = DaemonClient(owner: owner)
        let response: Response
        do { response = try client.send(.registerSandbox(pid: sandboxPID)) } catch let error as DaemonError {
            throw SandboxError.registrationFailed(owner: owner, reason: error.description)
        }
        switch response {
        case .sandboxAccepted: return
        case .error(_, let message): throw SandboxError.registrationFailed(owner: owner, reason: message)
        default: throw SandboxError.registrationFailed(owner: owner, reason: "the daemon answered something else")
        }
    }
}
