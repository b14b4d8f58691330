import AgePlugin
import KeyrackClient
import KeyrackDaemon
import KeyrackNames

/// Unwraps for `identity-v1` by asking each named owner's daemon: the daemon holds the owner's
/// identities (`keyrack unlock --identity-agent`) and does the ECDH on the card or in guarded
/// memory; this process only carries stanzas in and file keys out. The connection is the one
/// every keyrack client makes (runtime directory checks, SO_PEERCRED on both ends).
struct KeyrackIdentityHandler: IdentityPluginHandler {
    /// A touch can keep the card (and so the daemon) busy for a while.
    var timeoutMilliseconds = 120_000
    var client: (String) -> DaemonClient = { DaemonClient(owner: $0) }

    func unwrap(_ request: IdentityV1Request, session: IdentityV1Session) throws {
        // Every identity must parse before any file key is unwrapped (the spec's rule).
        var owners: [(index: Int, owner: String)] = []
        var invalid = false
        for (i, text) in request.identities.enumerated() {
            do {
                let id = try KeyrackPluginIdentity(string: text)
                guard NameRules.isValidOwner(id.owner) else { throw UsageError(NameRules.invalidOwnerMessage(id.owner)) }
                if !owners.contains(where: { $0.owner == id.owner }) { owners.append((i, id.owner)) }
            } catch let e as UsageError {
                invalid = true
                try session.identityError(i, e.message)
            } catch {
                invalid = true
                try session.identityError(i, "\(error)")
            }
        }
        guard !invalid, !request.files.isEmpty else { return }

        var done = Set<Int>()
        for (index, owner) in owners {
            let pending = request.files.filter { !done.contains($0.index) }
            guard !pending.isEmpty else { break }
            let files = pending.map { $0.stanzas.map { AgentStanza(type: $0.command, arguments: $0.arguments, body: $0.body) } }
            guard let results = try ask(owner: owner, identity: index, files: files, session: session) else { continue }
            for (file, result) in zip(pending, results) {
                switch result {
                case .fileKey(let key):
                    try session.fileKey(file: file.index, key)
                    done.insert(file.index)
                case .invalid(let stanza, let message):
                    try session.stanzaError(file: file.index, stanza: stanza, message)
                    done.insert(file.index)
                case .notMine:
                    continue
                }
            }
        }
    }

    /// One owner's answer, asking the user for a PIN when the daemon needs one (once: a wrong
    /// PIN is reported, never retried, since every retry spends one of the card's tries).
    private func ask(owner: String, identity: Int, files: [[AgentStanza]], session: IdentityV1Session) throws -> [AgentFileResult]? {
        var c = client(owner)
        c.timeoutMilliseconds = timeoutMilliseconds
        var secret: [UInt8]?
        defer { if secret != nil { zeroize(&secret!) } }
        while true {
            let response: Response
            do {
                response = try c.send(.agentUnwrap(files: files, secret: secret))
            } catch DaemonError.noDaemon {
                try session.identityError(identity, AgentMessages.locked(owner))
                return nil
            } catch DaemonError.protocolError(.agentLocked, _) {
                try session.identityError(identity, AgentMessages.locked(owner))
                return nil
            } catch DaemonError.protocolError(.agentFailed, let message) {
                try session.identityError(identity, "keyrack (\(owner)): \(message)")
                return nil
            } catch let error as DaemonError {
                try session.identityError(identity, "keyrack (\(owner)): \(error.cliMessage.dropFirst("error: ".count))")
                return nil
            }
            switch response {
            case .agentUnwrapped(let results) where results.count == files.count:
                return results
            case .agentNeedsSecret(let prompt) where secret == nil:
                guard let typed = try session.requestSecret(prompt) else {
                    try session.identityError(identity, "keyrack (\(owner)): a PIN is required to use the card, and none was given")
                    return nil
                }
                secret = typed
            default:
                try session.identityError(identity, "keyrack (\(owner)): the daemon answered UNWRAP with something else; run `keyrack daemon stop\(Fix.ownerFlag(owner))` and unlock again")
                return nil
            }
        }
    }
}
