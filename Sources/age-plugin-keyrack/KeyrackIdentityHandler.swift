import AgePlugin
import KeyrackClient
import KeyrackDaemon
import KeyrackNames
import SecretBytes

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
            } catch let e as KeyrackPluginIdentity.ParseError {
                invalid = true
                try session.identityError(i, e.pluginLine)
            } catch {
                invalid = true
                try session.identityError(i, "\(error)")
            }
        }
        guard !invalid, !request.files.isEmpty else { return }

        // An owner whose agent cannot help (locked, card gone) is reported only if some file
        // stays unopened: age clients abort on any plugin error, even after a file key.
        var done = Set<Int>()
        var errors: [(index: Int, message: String)] = []
        for (index, owner) in owners {
            let pending = request.files.filter { !done.contains($0.index) }
            guard !pending.isEmpty else { break }
            let files = pending.map { $0.stanzas.map { AgentStanza(type: $0.command, arguments: $0.arguments, body: $0.body) } }
            let results: [AgentFileResult]
            switch try ask(owner: owner, files: files, session: session) {
            case .success(let r): results = r
            case .failure(let e): errors.append((index, e.message)); continue
            }
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
        if done.count < request.files.count {
            for e in errors { try session.identityError(e.index, e.message) }
        }
    }

    struct Refusal: Error { var message: String }

    /// One owner's answer, asking the user for a PIN when the daemon needs one (once: a wrong
    /// PIN is reported, never retried, since every retry spends one of the card's tries).
    private func ask(owner: String, files: [[AgentStanza]], session: IdentityV1Session) throws -> Result<[AgentFileResult], Refusal> {
        var c = client(owner)
        c.timeoutMilliseconds = timeoutMilliseconds
        var secret: [UInt8]?
        defer { if secret != nil { zeroize(&secret!) } }
        while true {
            let response: Response
            do {
                response = try c.send(.agentUnwrap(files: files, secret: secret))
            } catch DaemonError.noDaemon {
                return .failure(Refusal(message: AgentMessages.locked(owner)))
            } catch DaemonError.protocolError(.agentLocked, _) {
                return .failure(Refusal(message: AgentMessages.locked(owner)))
            } catch DaemonError.protocolError(.agentFailed, let message) {
                return .failure(Refusal(message: "keyrack (\(owner)): \(message)"))
            } catch let error as DaemonError {
                return .failure(Refusal(message: "keyrack (\(owner)): \(error.cliMessage.dropFirst("error: ".count))"))
            }
            switch response {
            case .agentUnwrapped(let results) where results.count == files.count:
                return .success(results)
            case .agentNeedsSecret(let prompt) where secret == nil:
                guard let typed = try session.requestSecret(prompt) else {
                    return .failure(Refusal(message: "keyrack (\(owner)): a PIN is required to use the card, and none was given"))
                }
                secret = typed
            default:
                return .failure(Refusal(message: "keyrack (\(owner)): the daemon answered UNWRAP with something else; run `keyrack daemon stop\(Fix.ownerFlag(owner))` and unlock again"))
            }
        }
    }
}
